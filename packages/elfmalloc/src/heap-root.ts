/**
 * The heap root: the block every worker finds first, holding where everything else is and the counters that
 * outlive threads. It is mapped from the address space when the heap is created; its offset travels in the
 * heap's descriptor.
 *
 * Layout, in i32 words from the root's start:
 * ```
 *  0 magic              'ELFM'
 *  1 layout             CLASS_COUNT << 8 | LAYOUT_VERSION (attach refuses a different build)
 *  2 flags              bit 0: checked mode
 *  3 maxThreads
 *  4 pageMap            byte offset of the page map
 *  5 largeGranules      granules held by live large blocks            (Atomics)
 *  6 largeBlocks        live large blocks                              (Atomics)
 *  7 slabGranules       granules held by slabs and medium chunks, parked ones included   (Atomics)
 *  8 pooledGranules     granules parked in the page pools              (Atomics)
 *  9 metaRoot           the bootstrap allocator's root (thread records, bag storage)
 * 10 pools[4]           byte offsets of the page pools, one per slab size (chunks use the 64 KiB one)
 * 14 available[CLASS_COUNT]  byte offsets of the available-slab sets, one per class
 *    retired[CLASS_COUNT]  live blocks counted by threads that have gone (Atomics)
 *    largeCache[8 × 2]  free large blocks kept for reuse: mmap-alloc's RunCache, 8 slots of a block's byte
 *                       offset (0 = empty) and its mapped bytes (Atomics)
 *    cachedGranules     granules of the blocks in largeCache (Atomics)
 *    mediumRetired[2]   live medium blocks and their units counted by threads that have gone (Atomics)
 *    orphans            byte offset of the set of orphaned medium chunks (an available-slab set)
 *    threads[maxThreads × 3]  state, record byte offset, the thread's address-space lock holder id
 * ```
 * Atomic words, by convention across the heap's layouts: a word marked `(Atomics)` in a layout diagram is
 * shared by every thread and is only ever read and written with `Atomics` operations; an unmarked word is
 * written by one thread at a time with plain stores (here: once, by the thread that creates the heap, before
 * the magic word publishes it; a thread table entry's state is atomic, its other words belong to whoever moved
 * the state, see thread-table.ts).
 *
 * @module
 */
import { RunCache } from "@allocators/mmap-alloc";
import { CLASS_COUNT, SLAB_SIZES } from "./size-classes.js";

export const MAGIC = 0x454c464d;
const LAYOUT_VERSION = 6;
export const LAYOUT = (CLASS_COUNT << 8) | LAYOUT_VERSION;

export const R_MAGIC = 0;
export const R_LAYOUT = 1;
export const R_FLAGS = 2;
export const R_MAX_THREADS = 3;
export const R_PAGE_MAP = 4;
export const R_LARGE_GRANULES = 5;
export const R_LARGE_BLOCKS = 6;
export const R_SLAB_GRANULES = 7;
export const R_POOLED_GRANULES = 8;
export const R_META_ROOT = 9;
export const R_POOLS = 10;
export const R_AVAILABLE = R_POOLS + SLAB_SIZES.length;
export const R_RETIRED = R_AVAILABLE + CLASS_COUNT;
export const R_LARGE_CACHE = R_RETIRED + CLASS_COUNT;
/** Slots of the large-block cache. */
export const LARGE_CACHE_SLOTS = 8;
/** The shape of the large-block cache, whose slots sit at `R_LARGE_CACHE`. */
export const LARGE_CACHE = new RunCache(LARGE_CACHE_SLOTS);
export const R_CACHED_GRANULES = R_LARGE_CACHE + LARGE_CACHE.words;
/** Live medium blocks, then their units, counted by threads that have gone. */
export const R_MEDIUM_RETIRED = R_CACHED_GRANULES + 1;
/** Byte offset of the set of orphaned medium chunks, which a thread short of medium memory adopts. */
export const R_ORPHANS = R_MEDIUM_RETIRED + 2;
export const R_THREADS = R_ORPHANS + 1;

export const FLAG_CHECKED = 1;

/** Words per thread table entry: state, record, lock holder id. */
export const THREAD_WORDS = 3;

/** Bytes of a root for `maxThreads` threads. */
export function rootBytes(maxThreads: number): number {
  return (R_THREADS + maxThreads * THREAD_WORDS) * 4;
}
