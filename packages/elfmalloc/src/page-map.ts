/**
 * The page map: for every 16 KiB granule of the heap, what lives there. It is how `free(ptr)` finds the block's
 * class and slab without a size, in one load, for any pointer.
 *
 * Two u32 per granule `g = ptr >>> 14`:
 * ```
 * [2g]     base | kind      base: the 16 KiB-aligned start of the slab, chunk or large block (low 14 bits free)
 *                           kind: 0 = not this heap's, 1 = slab, 2 = large block,
 *                                 3 = large block parked in the large-block cache (free, not a live block),
 *                                 4 = medium chunk (medium-chunk.ts)
 * [2g + 1] slab: its class index;  large block or chunk: its length in granules
 * ```
 * Every granule of a slab, chunk or large block carries the same entry, so an interior pointer still finds its
 * block. Entries are written with plain stores by the thread that maps the slab or block, before any pointer
 * into it exists; whoever frees that pointer received it through something that synchronises (an Atomics
 * operation or a message), which makes the stores visible.
 *
 * @module
 */
import { nextPowerOfTwo } from "@allocators/object-alloc";

/** Bytes per granule: the unit of slabs and large blocks. */
export const GRANULE = 16384;
/** log2 of {@link GRANULE}. */
export const GRANULE_SHIFT = 14;

/** Entry kinds. */
export const KIND_MASK = 7;
export const KIND_SLAB = 1;
export const KIND_LARGE = 2;
export const KIND_CACHED = 3;
export const KIND_MEDIUM = 4;

/**
 * The bytes the page map covers: `maxBytes` rounded up to a power of two, so that one mask tells whether a
 * pointer is a 16-aligned offset whose entry exists (see {@link pointerMask}).
 */
function mappedSpan(maxBytes: number): number {
  return nextPowerOfTwo(Math.max(maxBytes, GRANULE));
}

/** Bytes of the page map of a heap of `maxBytes`. */
export function pageMapBytes(maxBytes: number): number {
  return (mappedSpan(maxBytes) / GRANULE) * 8;
}

/**
 * A mask such that `((ptr & mask) >>> 0) === ptr` holds exactly for the 16-aligned integers below the span the
 * page map covers: one test for "an aligned pointer whose page-map entry exists" (a number that is fractional,
 * negative, too large or misaligned changes under the mask).
 */
export function pointerMask(maxBytes: number): number {
  return mappedSpan(maxBytes) - 16;
}

/** u32 index of the entry of `ptr` in a page map at byte offset `map`. */
export function entryIndex(map: number, ptr: number): number {
  return (map >>> 2) + (ptr >>> GRANULE_SHIFT) * 2;
}

/**
 * Records `bytes` from `base` as a slab of class `cls` ({@link KIND_SLAB}), or as a large block, live
 * ({@link KIND_LARGE}) or cached ({@link KIND_CACHED}), whose second word is then its length in granules.
 */
export function setEntries(
  u32: Uint32Array,
  map: number,
  base: number,
  bytes: number,
  kind: number,
  cls = 0,
): void {
  const granules = bytes / GRANULE;
  const entry = base + kind;
  const aux = kind === KIND_SLAB ? cls : granules;
  // Entries that already say so are not written again (a slab reused for its class, a chunk taken back): a
  // store dirties the line for the other workers whose frees read neighbouring entries.
  for (let i = entryIndex(map, base), end = i + granules * 2; i < end; i += 2) {
    if (u32[i] !== entry || u32[i + 1] !== aux) {
      u32[i] = entry;
      u32[i + 1] = aux;
    }
  }
}

/** Forgets `bytes` from `base` (unmapped). */
export function clearEntries(u32: Uint32Array, map: number, base: number, bytes: number): void {
  const start = entryIndex(map, base);
  u32.fill(0, start, start + (bytes / GRANULE) * 2);
}
