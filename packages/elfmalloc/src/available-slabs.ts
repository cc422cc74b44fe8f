/**
 * The available slabs of one size class: unclaimed slabs with enough free blocks to be worth claiming, as a
 * lock-free set with one bit per granule of the heap (a slab is named by its first granule).
 *
 * Layout, in i32 words from the set's start:
 * ```
 * 0                 words          words of the bit-set (written once)
 * 1 .. 1+S          summary[S]     bit j set: word j of the bit-set may be non-zero      S = ceil(words / 32)
 * 1+S .. 1+S+words  bits[words]    bit g set: the slab at granule g is available
 * ```
 * Why a bit-set and not a ring (the original's BagPipe): every slab of the heap fits, so an offer never fails
 * and never leaves a partly free slab unusable; revoking is one `Atomics.and` whose old value says who won,
 * so the slab header needs no revocation handle; a slab costs one bit per class (512 B per class for a 64 MiB
 * heap, where a ring cost 9 bytes per slab); and taking the lowest set bit hands out the lowest-addressed slab
 * first, which packs live blocks low and lets the slabs above drain back to the page pool.
 *
 * Order of operations. An offer sets the slab's bit, then its word's summary bit unless a load finds it set;
 * a take clears a bit with `Atomics.and` and owns the slab only if that returned the bit set (so exactly one
 * of takes and revokes wins each offer). A take that finds a word empty clears the word's summary bit and
 * then reads the word again, setting the summary bit back if an offer came in between: an offer looks at the
 * summary bit after setting its word bit, so either the second read sees the word bit, or the offer's load
 * comes after the clear and sets it again. A summary bit may stay set over an empty word (a revoke does not
 * clear it); the next take that passes clears it.
 *
 * No word is written by every operation: a count of the set's slabs, updated by each offer, take and revoke,
 * would be one, and two workers running threadtest on 16 KiB slabs contended for it (1.4-1.8x one worker
 * with it, 1.8-1.9x without). A take on an empty set reads the summary instead: one word per 512 MiB of heap.
 *
 * The root's set of orphaned medium chunks (medium-chunk.ts) is a set of this kind too, a bit per chunk.
 *
 * @module
 */
import { lowestBit, takeLowestBit } from "@allocators/object-alloc";
import { GRANULE, GRANULE_SHIFT } from "./page-map.js";
import type { SizeClass } from "./size-classes.js";
import { slabOfClass } from "./slab.js";

const WORDS = 0;
const SUMMARY = 1;

function summaryWords(words: number): number {
  return Math.ceil(words / 32);
}

/** Words of the bit-set of a heap of `maxBytes`: a bit per granule. */
function bitWords(maxBytes: number): number {
  return Math.ceil(maxBytes / GRANULE / 32);
}

/** Bytes of a set for a heap of `maxBytes`. */
export function availableSetBytes(maxBytes: number): number {
  const words = bitWords(maxBytes);
  return (SUMMARY + summaryWords(words) + words) * 4;
}

/** Formats an empty set at i32 index `set` (the memory must be zero, as freshly mapped pages are). */
export function initAvailableSet(i32: Int32Array, set: number, maxBytes: number): void {
  i32[set + WORDS] = bitWords(maxBytes);
}

/** Adds the unclaimed slab at `base` to the set. */
export function offerSlab(i32: Int32Array, set: number, base: number): void {
  const g = base >>> GRANULE_SHIFT;
  const j = g >>> 5;
  const mark = 1 << (j & 31);
  Atomics.or(i32, bitsIndex(i32, set) + j, 1 << (g & 31));
  if ((Atomics.load(i32, set + SUMMARY + (j >>> 5)) & mark) === 0)
    Atomics.or(i32, set + SUMMARY + (j >>> 5), mark);
}

/** Takes the slab at `base` out of the set; true only for the one caller that removed it (take or revoke). */
export function revokeSlab(i32: Int32Array, set: number, base: number): boolean {
  const g = base >>> GRANULE_SHIFT;
  const bit = 1 << (g & 31);
  return (Atomics.and(i32, bitsIndex(i32, set) + (g >>> 5), ~bit) & bit) !== 0;
}

/** Takes the lowest-addressed slab of the set and returns its base, or 0 when the set is empty. */
export function takeSlab(i32: Int32Array, set: number): number {
  const bits = bitsIndex(i32, set);
  const summaries = summaryWords(i32[set + WORDS]);
  for (let s = 0; s < summaries; s++) {
    let pending = Atomics.load(i32, set + SUMMARY + s);
    while (pending !== 0) {
      const j = (s << 5) + lowestBit(pending);
      const g = takeLowestBit(i32, bits + j);
      if (g >= 0) return ((j << 5) + g) * GRANULE;
      const mark = 1 << (j & 31);
      Atomics.and(i32, set + SUMMARY + s, ~mark);
      if (Atomics.load(i32, bits + j) === 0) pending &= ~mark;
      else Atomics.or(i32, set + SUMMARY + s, mark);
    }
  }
  return 0;
}

/** Calls `visit` with the base of every slab in the set, lowest first (for check and snapshots). */
export function forEachAvailable(i32: Int32Array, set: number, visit: (base: number) => void): void {
  const bits = bitsIndex(i32, set);
  for (let j = 0, words = i32[set + WORDS]; j < words; j++) {
    for (let word = Atomics.load(i32, bits + j); word !== 0; word &= word - 1) {
      visit(((j << 5) + lowestBit(word)) * GRANULE);
    }
  }
}

/** The words of the bit-set that hold slabs but lack their summary mark: invisible to takes (for check). */
export function unmarkedWords(i32: Int32Array, set: number): number {
  const bits = bitsIndex(i32, set);
  let unmarked = 0;
  for (let j = 0, words = i32[set + WORDS]; j < words; j++) {
    const marked = Atomics.load(i32, set + SUMMARY + (j >>> 5)) & (1 << (j & 31));
    if (Atomics.load(i32, bits + j) !== 0 && !marked) unmarked++;
  }
  return unmarked;
}

function bitsIndex(i32: Int32Array, set: number): number {
  return set + SUMMARY + summaryWords(i32[set + WORDS]);
}

/**
 * For check: every slab in the set at i32 index `set`, the available set of class `c`, is an unclaimed slab of
 * the class with `cutoff` free blocks or more, and every word of the set that holds slabs has its summary mark.
 */
export function checkAvailableSlabs(
  i32: Int32Array,
  u32: Uint32Array,
  map: number,
  set: number,
  c: SizeClass,
  problems: string[],
): void {
  forEachAvailable(i32, set, (base) => {
    const slab = slabOfClass(i32, u32, map, base, c);
    if (!slab) {
      problems.push(`available slabs of class ${c.size}: ${base} is not a slab of the class`);
    } else if (slab.claimed || slab.count < c.cutoff) {
      problems.push(
        `available slabs of class ${c.size}: ${base} is claimed or has ${slab.count} free blocks`,
      );
    }
  });
  const unmarked = unmarkedWords(i32, set);
  if (unmarked > 0) {
    problems.push(`available slabs of class ${c.size}: ${unmarked} words with slabs but no summary mark`);
  }
}
