/**
 * Heap creation: the options of `ElfMalloc.create`, the address space they make, and sizing and placing the
 * heap's own tables in it, with the root that says where they are (heap-root.ts); and the descriptor that
 * names a heap for another worker to attach.
 *
 * The root, the page map, the page pools and the available-slab sets share one mapping, each part aligned to
 * 64 bytes (a cache line):
 * ```
 * root                               rootBytes(maxThreads): counters, where the rest is, the thread table
 * page map                           pageMapBytes(maxBytes): two words per granule (page-map.ts)
 * pools[SLAB_SIZES.length]           a BagPipe each, shaped by poolShape
 * available[CLASS_COUNT], orphans    an available-slab set per class (available-slabs.ts), then one for
 *                                    orphaned medium chunks
 * ```
 * Thread records and the pools' storage come from the bootstrap allocator (BsAlloc), whose root the heap root
 * names too.
 *
 * @module
 */
import { BagPipe } from "@allocators/bagpipe";
import { BsAlloc } from "@allocators/bsalloc";
import { AddressSpace, type AddressSpaceDescriptor, type Backing } from "@allocators/mmap-alloc";
import { alignUp, assertSize, NULL, nextPowerOfTwo } from "@allocators/object-alloc";
import { availableSetBytes, initAvailableSet } from "./available-slabs.js";
import {
  FLAG_CHECKED,
  LAYOUT,
  MAGIC,
  R_AVAILABLE,
  R_FLAGS,
  R_LAYOUT,
  R_MAGIC,
  R_MAX_THREADS,
  R_META_ROOT,
  R_ORPHANS,
  R_PAGE_MAP,
  R_POOLS,
  rootBytes,
} from "./heap-root.js";
import { GRANULE, pageMapBytes } from "./page-map.js";
import { CLASS_COUNT, SIZE_CLASSES, SLAB_SIZES } from "./size-classes.js";

/** Options of `ElfMalloc.create`. */
export interface ElfMallocOptions {
  /** The most bytes the heap may ever span (up to 4 GiB). */
  maxBytes: number;
  /** Bytes to reserve up front (the buffer grows on demand beyond). */
  initialBytes?: number;
  /** Where the heap lives, as in mmap-alloc: `'shared'` (default), `'local'`, `'wasm'`, a `WebAssembly.Memory` or a `SharedArrayBuffer`. */
  backing?: Backing;
  /** With an existing `WebAssembly.Memory`: the first byte the heap may use (the module's data lies below). */
  base?: number;
  /** How many threads may be attached at once (default 64, at most 1024). */
  maxThreads?: number;
  /** Checked mode: detect double frees, interior and foreign pointers on every free (see README for the cost). */
  checked?: boolean;
}

/** Where a heap is, for another worker to attach (`ElfMalloc.share`): structured-clonable. */
export interface ElfMallocDescriptor {
  space: AddressSpaceDescriptor;
  root: number;
  /** A thread slot reserved by `ElfMalloc.shareThread`, which the parent can reclaim. */
  slot?: number;
}

const DEFAULT_MAX_THREADS = 64;
const MAX_THREADS = 1024;
/** The alignment of each table in the mapping. */
const TABLE_ALIGN = 64;

/**
 * A new address space with a new heap in it, as `options` say; returns the space and the root's byte offset.
 * @throws RangeError naming the option that is invalid.
 */
export function createHeap(options: ElfMallocOptions): { space: AddressSpace; root: number } {
  const maxThreads = options.maxThreads ?? DEFAULT_MAX_THREADS;
  assertSize(maxThreads, "maxThreads", MAX_THREADS);
  if (maxThreads < 1) throw new RangeError(`maxThreads must be at least 1; got ${maxThreads}`);
  // Pages of one granule: every slab and large block is a whole number of granules aligned to one, so no
  // mapping needs more than its own size of free space (an alignment above the page size needs up to
  // `bytes + align - page`, and the free runs it cannot use fragment the space), and the address space's
  // own page state is 36 bytes per granule.
  const space = AddressSpace.create({
    pageSize: GRANULE,
    maxBytes: options.maxBytes,
    initialBytes: options.initialBytes,
    backing: options.backing,
    base: options.base,
  });
  return { space, root: layOut(space, maxThreads, options.checked) };
}

/**
 * Lays out a new heap in `space` for `maxThreads` threads (in checked mode when `checked` is truthy) and
 * returns its root's byte offset. The magic word is stored last: a handle that attaches sees a complete root
 * or none.
 * @throws RangeError when `space` cannot hold the heap's own tables.
 */
function layOut(space: AddressSpace, maxThreads: number, checked: boolean | undefined): number {
  const shapes = SLAB_SIZES.map((bytes) => poolShape(space, bytes));
  const pageMapAt = alignUp(rootBytes(maxThreads), TABLE_ALIGN);
  let bytes = pageMapAt + pageMapBytes(space.maxBytes);
  const poolsAt = shapes.map((shape) => {
    const at = bytes;
    bytes += alignUp(BagPipe.byteLength(shape), TABLE_ALIGN);
    return at;
  });
  // A set per class, and one more for orphaned medium chunks.
  const setsAt = [...SIZE_CLASSES, null].map(() => {
    const at = bytes;
    bytes += alignUp(availableSetBytes(space.maxBytes), TABLE_ALIGN);
    return at;
  });
  const root = space.map(bytes);
  if (root === NULL) throw new RangeError("maxBytes is too small for the heap's own tables");
  const meta = BsAlloc.create(space);
  const i32 = space.i32;
  const r = root >>> 2;
  i32[r + R_LAYOUT] = LAYOUT;
  i32[r + R_FLAGS] = checked ? FLAG_CHECKED : 0;
  i32[r + R_MAX_THREADS] = maxThreads;
  i32[r + R_PAGE_MAP] = root + pageMapAt;
  i32[r + R_META_ROOT] = meta.root;
  shapes.forEach((shape, p) => {
    BagPipe.init(space, root + poolsAt[p], shape);
    i32[r + R_POOLS + p] = root + poolsAt[p];
  });
  setsAt.forEach((at, k) => {
    initAvailableSet(i32, (root + at) >>> 2, space.maxBytes);
    i32[r + (k < CLASS_COUNT ? R_AVAILABLE + k : R_ORPHANS)] = root + at;
  });
  Atomics.store(i32, r + R_MAGIC, MAGIC);
  return root;
}

/**
 * The shape of the page pool for slabs of `slabBytes`: 4 rings with room together for the slabs of that size
 * that fill an eighth of the heap, and at least 1 MiB of them: what the pools' release policy lets them hold
 * (page-pools.ts: an empty slab that finds its pool full anyway is unmapped). Four rings, so that the first
 * workers' handles start on different ones.
 */
function poolShape(space: AddressSpace, slabBytes: number): { pipes: number; capacity: number } {
  const pipes = 4;
  const cells = Math.max(space.maxBytes / 8, 1 << 20) / slabBytes;
  return { pipes, capacity: Math.min(512, nextPowerOfTwo(Math.max(8, cells / pipes))) };
}
