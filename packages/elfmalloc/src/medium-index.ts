/**
 * A thread's index of the free blocks in its medium chunks: segregated free lists, as in TLSF, kept in the
 * thread record so that everything the allocator knows stays in the shared buffer.
 *
 * 64 lists by length in units: lengths 1..15 each have their own list, then eight lists per doubling
 * (16-17, 18-19, ... 896-1023). A bit-map of the non-empty lists (two words) finds the first list at or above
 * a length in a few instructions. Lists are doubly linked through the free blocks themselves
 * (medium-chunk.ts: `next | prev | units` in a free block's first words), so a block leaves its list in O(1)
 * when a neighbour is freed and merges with it.
 *
 * The fit: first the request's own list, where blocks of several lengths mix (from 16 units on), scanned for
 * the smallest block that fits (up to {@link SCAN} of them); then the head of the first non-empty list above,
 * whose blocks all fit. Close to best fit, which is what keeps a mixed-size workload's free space small
 * (info/elfmalloc.md), at a bounded cost.
 *
 * Record layout, u32 words from `at` (see thread-cache.ts for where `at` lies):
 * ```
 * 0..1  non-empty list bits
 * 2..65 list heads (byte offsets of free blocks, 0: empty)
 * ```
 *
 * @module
 */
import { highestBit, lowestBit } from "@allocators/object-alloc";
import { F_NEXT, F_PREV, F_UNITS } from "./medium-chunk.js";

/** Words of the index in a thread record. */
export const INDEX_WORDS = 66;
/** Lists in the index. */
const LISTS = 64;
const LIST_BITS = 0;
const HEADS = 2;
/** Nodes of the request's own list that a fit looks at. */
const SCAN = 4;

/** The list of blocks of `units` units. */
export function listOf(units: number): number {
  if (units < 16) return units;
  const k = highestBit(units);
  return ((k - 2) << 3) | ((units >>> (k - 3)) & 7);
}

/** Adds the free block at `ptr` of `units` to the index at `at`, writing its length. */
export function insertFree(u32: Uint32Array, at: number, ptr: number, units: number): void {
  const list = listOf(units);
  const head = u32[at + HEADS + list];
  const p = ptr >>> 2;
  u32[p + F_NEXT] = head;
  u32[p + F_PREV] = 0;
  u32[p + F_UNITS] = units;
  if (head !== 0) u32[(head >>> 2) + F_PREV] = ptr;
  u32[at + HEADS + list] = ptr;
  u32[at + LIST_BITS + (list >>> 5)] |= 1 << (list & 31);
}

/** Takes the free block at `ptr` out of the index. */
export function removeFree(u32: Uint32Array, at: number, ptr: number): void {
  const p = ptr >>> 2;
  const next = u32[p + F_NEXT];
  const prev = u32[p + F_PREV];
  if (next !== 0) u32[(next >>> 2) + F_PREV] = prev;
  if (prev !== 0) {
    u32[(prev >>> 2) + F_NEXT] = next;
    return;
  }
  const list = listOf(u32[p + F_UNITS]);
  u32[at + HEADS + list] = next;
  if (next === 0) u32[at + LIST_BITS + (list >>> 5)] &= ~(1 << (list & 31));
}

/** A free block of at least `units` (still in the index), or 0 when none is. */
export function findFit(u32: Uint32Array, at: number, units: number): number {
  const list = listOf(units);
  let best = 0;
  let bestUnits = 0x7fffffff;
  let node = u32[at + HEADS + list];
  for (let k = 0; node !== 0 && k < SCAN; k++, node = u32[(node >>> 2) + F_NEXT]) {
    const n = u32[(node >>> 2) + F_UNITS];
    if (n >= units && n < bestUnits) {
      best = node;
      bestUnits = n;
      if (n === units) break;
    }
  }
  if (best !== 0) return best;
  const above = firstListFrom(u32, at, list + 1);
  return above < 0 ? 0 : u32[at + HEADS + above];
}

/** The first non-empty list at or above `list`, or -1. */
function firstListFrom(u32: Uint32Array, at: number, list: number): number {
  let w = list >>> 5;
  if (w > 1) return -1;
  let bits = u32[at + LIST_BITS + w] & (-1 << (list & 31));
  while (bits === 0) {
    if (++w > 1) return -1;
    bits = u32[at + LIST_BITS + w];
  }
  return (w << 5) + lowestBit(bits);
}

/** Forgets every list (the blocks stay free in their chunks' bits). */
export function clearIndex(u32: Uint32Array, at: number): void {
  u32.fill(0, at, at + INDEX_WORDS);
}

/** Calls `visit(ptr, units, list)` for every block the index lists, until `visit` returns false. */
function forEachListed(
  u32: Uint32Array,
  at: number,
  visit: (ptr: number, units: number, list: number) => boolean,
): void {
  for (let list = 0; list < LISTS; list++) {
    for (let node = u32[at + HEADS + list]; node !== 0; node = u32[(node >>> 2) + F_NEXT]) {
      if (!visit(node, u32[(node >>> 2) + F_UNITS], list)) return;
    }
  }
}

/** True when list `list`'s bit says non-empty. */
function listMarked(u32: Uint32Array, at: number, list: number): boolean {
  return (u32[at + LIST_BITS + (list >>> 5)] & (1 << (list & 31))) !== 0;
}

/** The head of list `list`. */
function listHead(u32: Uint32Array, at: number, list: number): number {
  return u32[at + HEADS + list];
}

/**
 * For check: the index at `at`, of thread `slot`, lists each block of `free` (the free blocks of its chunks:
 * address -> units) once, in the list of its length, and nothing else; its list bits mark exactly the non-empty
 * lists.
 */
export function checkIndex(
  u32: Uint32Array,
  at: number,
  free: Map<number, number>,
  slot: number,
  problems: string[],
): void {
  const listed = new Set<number>();
  forEachListed(u32, at, (ptr, units, list) => {
    if (free.get(ptr) !== units || listOf(units) !== list || listed.has(ptr)) {
      problems.push(`thread ${slot}: medium list ${list} names ${ptr} (${units} units), not one free block`);
      return false;
    }
    listed.add(ptr);
    return true;
  });
  for (let list = 0; list < LISTS; list++) {
    if (listMarked(u32, at, list) !== (listHead(u32, at, list) !== 0)) {
      problems.push(`thread ${slot}: medium list ${list} is marked wrongly`);
    }
  }
  if (listed.size !== free.size) {
    problems.push(`thread ${slot}: ${free.size} free medium blocks, ${listed.size} listed`);
  }
}
