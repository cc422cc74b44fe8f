/**
 * The options of a `SlabAlloc`: their types, their defaults, and the checks that turn them into a geometry.
 *
 * @module
 */
import { assertAlign, assertSize, Layout, type Ptr } from "@allocators/object-alloc";
import {
  chooseGeometry,
  defaultKind,
  type Geometry,
  geometryFor,
  type SlabKind,
  strideOf,
} from "./geometry.js";

/** Options of a `SlabAlloc`. */
export interface SlabAllocOptions {
  /** Bytes of an object. */
  size: number;
  /** Alignment of an object: a power of two up to the page size. Default: the largest power of two dividing the size, at most 8. */
  align?: number;
  /**
   * The constructor, run on an object the first time it is handed out (and again only after its slab went
   * back to the address space). A freed object stays constructed: the next `alloc` returning it skips this.
   */
  init?: (ptr: Ptr) => void;
  /** The destructor, run on each constructed object when its slab goes back to the address space or on `dispose`. */
  destroy?: (ptr: Ptr) => void;
  /** Every object handed out is all zeros (fresh pages are; reused objects are cleared). Not with `init`. */
  zeroed?: boolean;
  /** The slab size in bytes; default: chosen from the object size (see the design note). */
  slabBytes?: number;
  /** Aligned slabs (header inside, found by masking) or large slabs (header out of line, found by a page map). Default: aligned up to an eighth of a page. */
  kind?: SlabKind;
  /**
   * Detects double frees (a live bit per object). Foreign and interior pointers are rejected in either mode.
   * Default false.
   */
  checked?: boolean;
  /** Slab colouring (offsetting each slab's objects by a different multiple of a cache line). Default true. */
  colouring?: boolean;
  /** The working-set window in milliseconds: an empty slab unused for this long goes back. Default 15 000. */
  workingSetMs?: number;
  /** The clock of the working-set policy, in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** The options with their defaults filled in, checked, and the geometry they give. */
export interface SlabConfig {
  layout: Layout;
  geometry: Geometry;
  init: ((ptr: Ptr) => void) | null;
  destroy: ((ptr: Ptr) => void) | null;
  zeroed: boolean;
  checked: boolean;
  colouring: boolean;
  windowMs: number;
  now: () => number;
}

const DEFAULT_WINDOW_MS = 15_000;
/** The alignment of header blocks (they hold u32 words). */
const HEADER_ALIGN = 8;

/**
 * Checks `options` for slabs of `pageSize`-byte pages and fills in the defaults.
 * @throws RangeError naming the option when `size`, `align`, `slabBytes`, `kind` or `workingSetMs` is
 * invalid, or when `init` and `zeroed` are both given.
 */
export function configure(options: SlabAllocOptions, pageSize: number): SlabConfig {
  const { size, init = null, destroy = null, zeroed = false, checked = false, colouring = true } = options;
  assertSize(size, "size");
  const align = options.align ?? naturalAlign(size);
  assertAlign(align, "align");
  if (align > pageSize) {
    throw new RangeError(`align must be at most the page size ${pageSize}; got ${align}`);
  }
  if (zeroed && init !== null) throw new RangeError("zeroed must be false when init is given");
  const windowMs = options.workingSetMs ?? DEFAULT_WINDOW_MS;
  if (!(windowMs >= 0)) throw new RangeError(`workingSetMs must be a number >= 0; got ${windowMs}`);
  const layout = Layout.from(size, align);
  const geometry = geometryOf(options, strideOf(size, align), align, pageSize, checked);
  const now = options.now ?? (() => performance.now());
  return { layout, geometry, init, destroy, zeroed, checked, colouring, windowMs, now };
}

/**
 * The options of the allocator of a large-slab allocator's out-of-line headers: blocks of `headerBytes` on
 * aligned slabs, unchecked and uncoloured, with the same working set and clock.
 */
export function headerCacheOptions(config: SlabConfig): SlabAllocOptions {
  return {
    size: config.geometry.headerBytes,
    align: HEADER_ALIGN,
    kind: "aligned",
    checked: false,
    colouring: false,
    workingSetMs: config.windowMs,
    now: config.now,
  };
}

/** The largest power of two dividing `size`, at most 8 (the alignment of a C struct of that size, roughly). */
function naturalAlign(size: number): number {
  let align = 1;
  while (align < 8 && size % (align * 2) === 0 && size > 0) align *= 2;
  return align;
}

function geometryOf(
  options: SlabAllocOptions,
  stride: number,
  align: number,
  pageSize: number,
  checked: boolean,
): Geometry {
  const kind = options.kind ?? defaultKind(stride, pageSize);
  if (kind !== "aligned" && kind !== "large") {
    throw new RangeError(`kind must be "aligned" or "large"; got ${String(kind)}`);
  }
  if (options.slabBytes === undefined) return chooseGeometry(kind, stride, align, pageSize, checked);
  const slabBytes = options.slabBytes;
  const valid =
    Number.isInteger(slabBytes) &&
    slabBytes >= pageSize &&
    slabBytes <= 2 ** 30 &&
    (kind === "aligned" ? (slabBytes & (slabBytes - 1)) === 0 : slabBytes % pageSize === 0);
  const g = valid ? geometryFor(kind, slabBytes, stride, align, checked) : null;
  if (g === null) {
    const rule = kind === "aligned" ? "a power of two" : "a multiple of the page size";
    throw new RangeError(
      `slabBytes must be ${rule} from ${pageSize} to 2^30 holding one object of ${stride} bytes; got ${slabBytes}`,
    );
  }
  return g;
}
