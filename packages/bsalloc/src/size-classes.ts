/**
 * The size classes: which chunk size serves a request, and which requests are mapped directly.
 *
 * Five classes, each a power of four, chosen for the metadata of the suite's allocators:
 *
 * | class | chunk   | typical use                                             |
 * | ----- | ------- | ------------------------------------------------------- |
 * | 0     | 64 B    | small records, one cache line each                      |
 * | 1     | 256 B   | descriptors, short tables                               |
 * | 2     | 1 KiB   | size-class tables, small queue segments                 |
 * | 3     | 4 KiB   | per-thread records, queue storage                       |
 * | 4     | 16 KiB  | large per-thread records                                |
 * | large | > 16 KiB| mapped directly from the address space (queues, tables) |
 *
 * Chunks are carved from segments of {@link SEGMENT_BYTES} aligned to their own size, at offsets that are
 * multiples of the chunk size, so every chunk is aligned to its chunk size: a request of `size` bytes aligned
 * to `align` is served by the smallest class whose chunk holds `max(size, align)`. Powers of four keep the
 * worst internal waste of a class below 75%, which metadata (allocated rarely, kept long) can afford.
 *
 * @module
 */

/** The bytes of a segment, and its alignment: the unit in which small chunks are mapped. */
export const SEGMENT_BYTES = 128 * 1024;

/** The chunk size of every class, smallest first. */
export const CHUNK_SIZES: readonly number[] = [64, 256, 1024, 4096, 16384];

/** How many classes there are. */
export const CLASS_COUNT = CHUNK_SIZES.length;

/** The largest chunk: requests needing more are mapped directly. */
export const LARGEST_CHUNK = 16384;

/** The class that serves `need = max(size, align)` bytes, or -1 when the request is mapped directly. */
export function classFor(need: number): number {
  if (need <= 64) return 0;
  if (need <= 256) return 1;
  if (need <= 1024) return 2;
  if (need <= 4096) return 3;
  if (need <= LARGEST_CHUNK) return 4;
  return -1;
}
