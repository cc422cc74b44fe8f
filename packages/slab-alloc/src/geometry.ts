/**
 * Slab geometry: where the header, the free stack, the checked-mode bitmap and the objects sit in a slab, how
 * many objects a slab holds, how many colours it has, and which slab size to take.
 *
 * ```
 * aligned slab (small objects): S bytes, aligned to S, so header = ptr - (ptr & (S - 1))
 * +--------+-----------------+-----------------+-----+--------+------------------------------+--------+
 * | header | free stack      | bitmap          | pad | colour | n objects, `stride` apart    | unused |
 * | 8 u32  | n u16 entries   | ceil(n/32) u32  |     |        |                              |        |
 * |        |                 | (checked only)  |     |        |                              |        |
 * +--------+-----------------+-----------------+-----+--------+------------------------------+--------+
 *
 * large slab (large objects): a run of pages; its header lives out of line (in a block of the allocator's
 * header cache) and is found through the page map.
 *   slab:   | colour | n objects, `stride` apart | unused |
 *   header: | header 8 u32 | free stack n u16 | bitmap (checked only) |
 * ```
 *
 * A free-stack entry is a u16, `index * 2 + constructed`: the index of a free object and whether that object
 * has been through the constructor (or, for a zeroed allocator, handed out) since its slab was mapped. So a
 * slab holds at most {@link MAX_OBJECTS_PER_SLAB} objects, and the stack costs 2 bytes per object (the Rust
 * crate spent 8). `alloc` turns an index into a pointer with a multiply, `dealloc` a pointer into an index with
 * a multiply by the stride's inverse (see {@link splitStride}): no division on either path.
 *
 * @module
 */
import { alignUp, nextPowerOfTwo } from "@allocators/object-alloc";

/** Fields of a slab header, as u32 word indices from the header's address. */
export const Header = {
  /** The owning allocator's tag: checked mode rejects a pointer whose slab carries another tag. */
  TAG: 0,
  /** The header's own address: with TAG, makes a stray word unlikely to pass for a header. */
  SELF: 1,
  /** Address of object 0. */
  BASE: 2,
  /** Free objects in the slab: the depth of the free stack. */
  FREE: 3,
  /** Next header in the slab's list, 0 at the end. */
  NEXT: 4,
  /** Previous header in the slab's list, 0 at the start. */
  PREV: 5,
  /** Which list holds the slab: one of {@link SlabList}. */
  LIST: 6,
  /** Address of the slab's first byte (the header's own address for an aligned slab). */
  SLAB: 7,
} as const;

/** Words of the fixed part of a header; the free stack starts right after. */
export const HEADER_WORDS = 8;

/** The free stack's first u16 entry, counted from the header in u16 units. */
export const STACK = 2 * HEADER_WORDS;

/** The most objects a slab holds: a free-stack entry is `index * 2 + 1` in a u16. */
export const MAX_OBJECTS_PER_SLAB = 32_767;

/** The three lists of Bonwick's design. */
export const SlabList = { PARTIAL: 1, FULL: 2, EMPTY: 3 } as const;

/** The two kinds of slab. */
export type SlabKind = "aligned" | "large";

/** A slab should hold at least this many objects unless that wastes too much (Bonwick, and the Rust crate). */
export const MIN_OBJECTS_PER_SLAB = 8;

/** The largest fraction of a slab left unused that the size choice accepts without looking further. */
const ACCEPTED_WASTE = 1 / 8;

/** How many times the smallest candidate the size choice looks at. */
const MAX_GROWTH = 64;

/** Colours step by at least a cache line, so each colour shifts the objects onto other cache sets. */
const CACHE_LINE = 64;

/** Everything fixed about the slabs of one allocator. */
export interface Geometry {
  kind: SlabKind;
  /** Bytes of a slab: a power of two for aligned slabs, a page multiple for large ones. */
  slabBytes: number;
  /** Distance between objects: the size rounded up to the alignment (at least one alignment unit). */
  stride: number;
  align: number;
  objectsPerSlab: number;
  /** Bytes of a header with its stack and bitmap. */
  headerBytes: number;
  /** Offset of object 0 of a colour-0 slab from the slab's start. */
  firstObject: number;
  /** Distance between colours. */
  colourStep: number;
  /** Number of distinct colours (1 when the slab has no room to spare). */
  colours: number;
  /** Bytes per slab in no object, header or colour (the waste the size choice minimises). */
  unusedBytes: number;
  /** `stride = oddFactor << strideShift`; with `strideInverse`, turns an offset into an index without dividing. */
  strideShift: number;
  /** The inverse of the odd factor of the stride modulo 2^32. */
  strideInverse: number;
  /** Word offset of the checked-mode bitmap from the header (0 when unchecked). */
  bitmapWord: number;
}

/** Words of the free stack of `n` u16 entries, rounded up to whole u32 words. */
function stackWords(n: number): number {
  return Math.ceil(n / 2);
}

/** Bytes of a header with its free stack for `n` objects, and the bitmap when `checked`. */
export function headerBytesFor(n: number, checked: boolean): number {
  return 4 * (HEADER_WORDS + stackWords(n) + (checked ? Math.ceil(n / 32) : 0));
}

/** The distance between objects of `size` bytes aligned to `align`. */
export function strideOf(size: number, align: number): number {
  return alignUp(Math.max(size, 1), align);
}

/** The geometry of slabs of `slabBytes` bytes, or `null` when not one object fits. */
export function geometryFor(
  kind: SlabKind,
  slabBytes: number,
  stride: number,
  align: number,
  checked: boolean,
): Geometry | null {
  let n = Math.floor(slabBytes / stride);
  let firstObject = 0;
  if (kind === "aligned") {
    // The header shares the slab: shrink n until header, stack, bitmap, padding and objects fit.
    n = Math.floor((slabBytes - 4 * HEADER_WORDS) / (stride + 2));
    while (n > 0 && alignUp(headerBytesFor(n, checked), align) + n * stride > slabBytes) n--;
    firstObject = n > 0 ? alignUp(headerBytesFor(n, checked), align) : 0;
  }
  n = Math.min(n, MAX_OBJECTS_PER_SLAB);
  if (n < 1) return null;
  const unusedBytes = slabBytes - firstObject - n * stride;
  const colourStep = Math.max(align, CACHE_LINE);
  const { shift, inverse } = splitStride(stride);
  return {
    kind,
    slabBytes,
    stride,
    align,
    objectsPerSlab: n,
    headerBytes: headerBytesFor(n, checked),
    firstObject,
    colourStep,
    colours: Math.floor(unusedBytes / colourStep) + 1,
    unusedBytes,
    strideShift: shift,
    strideInverse: inverse,
    bitmapWord: checked ? HEADER_WORDS + stackWords(n) : 0,
  };
}

/**
 * The kind of slab for objects of `stride` bytes: aligned slabs (header inside) for objects up to an eighth of
 * a page, as Bonwick's small-object threshold; large slabs (header out of line) above.
 */
export function defaultKind(stride: number, pageSize: number): SlabKind {
  return stride <= pageSize / 8 ? "aligned" : "large";
}

/**
 * Chooses the slab size: the smallest candidate holding at least {@link MIN_OBJECTS_PER_SLAB} objects with at
 * most an eighth of it unused; when no candidate up to {@link MAX_GROWTH} times the smallest qualifies, the one
 * wasting the smallest fraction (the larger on ties). Candidates are the powers of two from the page size for
 * aligned slabs, and the page multiples from the first that holds one object for large ones.
 */
export function chooseGeometry(
  kind: SlabKind,
  stride: number,
  align: number,
  pageSize: number,
  checked: boolean,
): Geometry {
  let best: Geometry | null = null;
  for (const slabBytes of candidates(kind, stride, pageSize)) {
    const g = geometryFor(kind, slabBytes, stride, align, checked);
    if (g === null) continue;
    if (g.objectsPerSlab >= MIN_OBJECTS_PER_SLAB && g.unusedBytes <= slabBytes * ACCEPTED_WASTE) return g;
    if (best === null || g.unusedBytes / g.slabBytes <= best.unusedBytes / best.slabBytes) best = g;
  }
  if (best === null) throw new RangeError(`size must leave room for one object; got stride ${stride}`);
  return best;
}

function candidates(kind: SlabKind, stride: number, pageSize: number): number[] {
  const sizes: number[] = [];
  if (kind === "aligned") {
    const first = Math.max(pageSize, nextPowerOfTwo(stride + 4 * HEADER_WORDS + 8));
    for (let s = first; s <= first * MAX_GROWTH; s *= 2) sizes.push(s);
  } else {
    const first = alignUp(stride, pageSize);
    for (let s = first; s <= first * MAX_GROWTH; s += pageSize) {
      sizes.push(s);
      if (s >= stride * MIN_OBJECTS_PER_SLAB * 2) break;
    }
  }
  return sizes;
}

/**
 * Splits `stride` into `odd << shift` and the inverse of `odd` modulo 2^32. For an offset `off` below
 * `n * stride`, `Math.imul(off >>> shift, inverse) >>> 0` is `off / stride` when `off` is a multiple of the
 * stride (low `shift` bits clear) and a number of at least `n` otherwise: multiplying by the inverse is a
 * bijection on u32 that maps the multiples `q * odd` exactly onto the small numbers `q`.
 */
export function splitStride(stride: number): { shift: number; inverse: number } {
  let shift = 0;
  while (stride % 2 ** (shift + 1) === 0) shift++;
  const odd = stride / 2 ** shift;
  // Newton's iteration for the inverse modulo 2^32: each step doubles the correct low bits (3, 6, 12, 24, 48).
  let inverse = odd;
  for (let i = 0; i < 4; i++) inverse = Math.imul(inverse, 2 - Math.imul(odd, inverse));
  return { shift, inverse: inverse >>> 0 };
}

/** The index of the object at byte offset `offset` from object 0, or -1 when no object starts there. */
export function objectIndex(g: Geometry, offset: number): number {
  if (!(offset >= 0 && offset < g.objectsPerSlab * g.stride)) return -1;
  if ((offset & ((1 << g.strideShift) - 1)) !== 0) return -1;
  const index = Math.imul(offset >>> g.strideShift, g.strideInverse) >>> 0;
  return index < g.objectsPerSlab ? index : -1;
}

/**
 * Writes the header `h` of the fresh slab at `slab` of geometry `g`, for the allocator tagged `tag`, with its
 * objects `colour` bytes in: every object free and unconstructed, object 0 on top of the stack (so a new slab
 * hands out its objects in address order), and in checked mode no live bit.
 */
export function initHeader(
  u32: Uint32Array,
  u16: Uint16Array,
  g: Geometry,
  h: number,
  tag: number,
  slab: number,
  colour: number,
): void {
  const w = h >>> 2;
  const n = g.objectsPerSlab;
  u32[w + Header.TAG] = tag;
  u32[w + Header.SELF] = h;
  u32[w + Header.BASE] = slab + g.firstObject + colour;
  u32[w + Header.FREE] = n;
  u32[w + Header.SLAB] = slab;
  for (let i = 0; i < n; i++) u16[(h >>> 1) + STACK + i] = (n - 1 - i) * 2;
  if (g.bitmapWord !== 0) u32.fill(0, w + g.bitmapWord, w + g.bitmapWord + Math.ceil(n / 32));
}

/** Checked mode: whether object `index` of the slab whose header is at word `w` is live (its bitmap bit set). */
export function isLive(u32: Uint32Array, w: number, bitmapWord: number, index: number): boolean {
  return (u32[w + bitmapWord + (index >>> 5)] & (1 << (index & 31))) !== 0;
}
