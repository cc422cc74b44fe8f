/**
 * Size classes: which block size serves a request, and how each class is laid out on slabs.
 *
 * Classes are 16, 32, ... 128 (multiples of 16), then four per doubling up to 128 KiB: 160, 192, 224, 256,
 * 320, 384, 448, 512, 640, ... 131072. Why not the original's powers of two above 192 B: a power-of-two class
 * wastes up to 50% of a block (a 257 B request takes 512 B); four classes per doubling bound the waste at 25%,
 * which is what keeps committed memory within 1.3x of live memory on mixed sizes. Every class is a multiple of
 * 16 (C's `max_align_t`), and every power of two from 16 to 128 KiB is a class, which `alignedAlloc` uses:
 * a power-of-two object on a slab aligned to at least its size is aligned to its size.
 *
 * Requests from 257 B to 16 KiB (`MEDIUM_MIN` to `MEDIUM_MAX`) are served from medium chunks instead
 * (medium-chunk.ts), exact to 64 bytes; the classes of that range serve only `alignedAlloc` with an alignment
 * above 64 bytes.
 *
 * The table is computed, not stored: every worker derives the same one from these constants.
 *
 * @module
 */
import { highestBit } from "@allocators/object-alloc";
import { GRANULE } from "./page-map.js";

/** The smallest block, and the alignment of every block. */
export const MIN_BLOCK = 16;
/** The largest size served from slabs or medium chunks; larger requests are large blocks, mapped directly. */
export const MAX_SMALL = 128 * 1024;
/** Classes up to this size are found through a lookup table indexed by `(size + 15) >> 4`. */
export const TABLE_LIMIT = 1024;
/** Slab sizes, smallest first: each class takes the smallest that holds at least {@link MIN_OBJECTS}. */
export const SLAB_SIZES = [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024] as const;
/**
 * Fewer blocks per slab mean smaller slabs for the larger classes: with 4 (not 8), the classes up to 3 KiB sit on
 * 16 KiB slabs, and each class in use keeps less partly free slab memory (shbench's peak heap 6.81 -> 6.64 MiB,
 * at the same speed); the tail a slab cannot fill stays under 7% of it.
 */
const MIN_OBJECTS = 4;
/**
 * A slab becomes available to other threads again once this fraction of its objects is free (the original's
 * `cutoff_factor`, 0.6 there). Lower means partly used slabs are reused sooner instead of new ones being mapped:
 * on shbench (mixed sizes, 4.3 MiB live) 0.3 needed 12% fewer slab bytes than 0.6, and 0.15 another 0.5 MiB
 * of peak heap (8.44 -> 7.88 MiB; random replace with 10k live blocks 3.06 -> 2.69 MiB), with threadtest,
 * random replace and larson within run-to-run noise in alternating runs. A thread that claims a slab still
 * gets at least 15% of it to allocate from without touching shared state.
 */
const CUTOFF_FACTOR = 0.15;

/** The layout of one size class. */
export interface SizeClass {
  /** Index of the class. */
  readonly index: number;
  /** Block size in bytes. */
  readonly size: number;
  /** Bytes of each slab of this class (a power of two, the slab's alignment too). */
  readonly slabBytes: number;
  /** Objects per slab. */
  readonly objects: number;
  /** 32-bit words of the slab's free bit-set. */
  readonly words: number;
  /** Free objects at which an unclaimed slab is offered to other threads. */
  readonly cutoff: number;
  /** Capacity of each thread's magazine of free blocks of this class. */
  readonly magazine: number;
}

/** Bytes at the end of every slab for its header fields (see slab.ts). */
export const SLAB_HEADER_BYTES = 64;

function classSizes(): number[] {
  const sizes: number[] = [];
  for (let size = MIN_BLOCK; size <= 128; size += MIN_BLOCK) sizes.push(size);
  for (let base = 128; base < MAX_SMALL; base *= 2) {
    for (let k = 1; k <= 4; k++) sizes.push(base + (k * base) / 4);
  }
  return sizes;
}

/** Bytes a slab spends on bit-sets: the free set and, in checked mode, the live set. */
export function bitsetBytes(words: number): number {
  return words * 4 * 2;
}

function layoutClass(index: number, size: number): SizeClass {
  const slabBytes =
    SLAB_SIZES.find((bytes) => Math.floor(bytes / size) >= MIN_OBJECTS + 1) ??
    SLAB_SIZES[SLAB_SIZES.length - 1];
  let objects = Math.floor((slabBytes - SLAB_HEADER_BYTES) / size);
  while (objects * size + SLAB_HEADER_BYTES + bitsetBytes(Math.ceil(objects / 32)) > slabBytes) objects--;
  return {
    index,
    size,
    slabBytes,
    objects,
    words: Math.ceil(objects / 32),
    cutoff: Math.max(1, Math.floor(objects * CUTOFF_FACTOR)),
    magazine: magazineCapacity(size),
  };
}

/**
 * Magazines hold about 16 KiB of small blocks and at least 4 large ones: enough to absorb bursts without
 * touching slabs, small enough that a thread's cached memory stays bounded (about 0.5 MiB per thread).
 */
function magazineCapacity(size: number): number {
  return Math.max(4, Math.min(64, Math.floor(16384 / size)));
}

/** Every size class, by index. */
export const SIZE_CLASSES: readonly SizeClass[] = classSizes().map((size, i) => layoutClass(i, size));

/** The number of classes. */
export const CLASS_COUNT = SIZE_CLASSES.length;

/** Class index for sizes up to 1 KiB, indexed by `(size + 15) >> 4`. */
export const SMALL_LOOKUP = (() => {
  const table = new Uint8Array(TABLE_LIMIT / MIN_BLOCK + 1);
  for (let slot = 0; slot < table.length; slot++) table[slot] = classOfLarger(Math.max(1, slot * MIN_BLOCK));
  return table;
})();

/** The class of a size above 128 B: 2^k < size <= 2^(k+1) falls in quarter steps of 2^(k-2). */
function classOfLarger(size: number): number {
  if (size <= 128) return ((size + MIN_BLOCK - 1) >>> 4) - 1;
  const k = highestBit(size - 1);
  const quarter = Math.ceil((size - 2 ** k) / 2 ** (k - 2));
  return 8 + (k - 7) * 4 + quarter - 1;
}

/** The class of a request of `size` bytes (0 < size <= {@link MAX_SMALL}; 0 is served as 16). */
export function classOf(size: number): number {
  return size <= TABLE_LIMIT ? SMALL_LOOKUP[(size + MIN_BLOCK - 1) >>> 4] : classOfLarger(size);
}

/**
 * The alignment slabs of `slabBytes` need: the largest power-of-two block size they hold (so that such blocks
 * are aligned to their size, which `alignedAlloc` relies on), and at least a granule (16 KiB, the page map's
 * unit). Only the 1 MiB slabs, which hold the classes from 32 KiB to 128 KiB, need more than a granule.
 */
export function slabAlign(slabBytes: number): number {
  let align = GRANULE;
  for (const c of SIZE_CLASSES) {
    if (c.slabBytes === slabBytes && (c.size & (c.size - 1)) === 0) align = Math.max(align, c.size);
  }
  return align;
}
