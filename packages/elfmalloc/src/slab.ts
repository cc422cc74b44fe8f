/**
 * Slabs: runs of pages carved into blocks of one size class, with a free bit-set that any thread may set.
 *
 * Layout of a slab (aligned to its size, so power-of-two blocks are aligned to their size):
 * ```
 * base                                                                     base + slabBytes
 * | block 0 | block 1 | ... | block n-1 | pad | free bits | live bits | header (64 B) |
 *                                              words × 4   words × 4
 * header, as i32 fields:  class | rc = claimed bit + free count | owner slot | ...
 * ```
 * The header sits at the end so that blocks start at the aligned base; a pointer finds its slab through the
 * page map, not by masking. The revocation handle of an available slab is its own address: its bit in its
 * class's available set (available-slabs.ts), so the header needs no field for it.
 *
 * The free bit-set holds a 1 for each free block that no thread holds privately. `rc` counts those bits
 * (`count`) and carries the CLAIMED bit while one thread owns the slab and allocates from it.
 *
 * Ordering (the original's argument, kept): a freeing thread first adds 1 to `rc`, then sets the block's bit;
 * the owner first takes a whole word of bits with `Atomics.exchange(word, 0)`, then subtracts their number.
 * So `count` is never below the number of set bits, and the owner's subtraction never makes it negative.
 * Transitions are decided on the value `Atomics.add` returned, so exactly one free sees each crossing:
 * - the free that raises `count` of an unclaimed slab to `cutoff` or past it makes the slab available: in its
 *   class's available set, or in the kept slots of the thread that last claimed it (thread-cache.ts);
 * - the free that raises it to `objects` (all free) takes that back (a revoke, or the keeper's slot) and returns
 *   the slab to the pages: a spare slot of its thread, the page pool or the address space (directly, when that
 *   same free also crossed `cutoff`: then the slab was never made available).
 * Count first means that a free seeing `objects` may run ahead of other frees whose bits are still on their
 * way: whoever releases an empty slab first waits until all its bits are set ({@link settled}), or those
 * bits would land in the slab's next life, on live blocks.
 *
 * @module
 */
import { popcount } from "@allocators/object-alloc";
import { entryIndex, KIND_SLAB } from "./page-map.js";
import { bitsetBytes, SIZE_CLASSES, type SizeClass, SLAB_HEADER_BYTES } from "./size-classes.js";

/** `rc` bit set while a thread owns the slab. */
export const CLAIMED = 1 << 30;
/** `rc` bits holding the free count. */
export const COUNT_MASK = CLAIMED - 1;

/** Header field indices, in i32 words from the header start. */
const CLASS = 0;
const RC = 1;
const OWNER = 2;

/** The class field of a slab parked in the page pool. */
export const POOLED = -1;

/** What a free or an unclaim did to a slab's life cycle: nothing to do. */
export const STAY = 0;
/** The unclaimed slab has `cutoff` free blocks or more: make it available to other threads. */
export const OFFER = 1;
/** Every block of the unclaimed slab is free: revoke its availability and return the slab to the pool. */
export const EMPTY = 2;
/**
 * One bulk free both raised the count past `cutoff` and made every block free: nobody saw the slab available,
 * so it is in no available set and the caller returns it to the pool directly.
 */
export const RELEASE = 3;

/** i32 index of the header of the slab at `base`. */
export function headerIndex(base: number, slabBytes: number): number {
  return (base + slabBytes - SLAB_HEADER_BYTES) >>> 2;
}

/** i32 index of the free bit-set; the live bit-set follows it. */
export function freeBitsIndex(base: number, c: SizeClass): number {
  return (base + c.slabBytes - SLAB_HEADER_BYTES - bitsetBytes(c.words)) >>> 2;
}

/** i32 index of the `rc` field. */
export function rcIndex(base: number, slabBytes: number): number {
  return headerIndex(base, slabBytes) + RC;
}

/** The class of the slab at `base` of `slabBytes`, or {@link POOLED}. */
export function slabClass(i32: Int32Array, base: number, slabBytes: number): number {
  return i32[headerIndex(base, slabBytes) + CLASS];
}

/**
 * Formats the slab at `base` for class `c`, claimed by `owner`, with every block free. Called only by the
 * thread that took the slab from the pool or mapped it, before any pointer into it exists.
 */
export function initSlab(i32: Int32Array, base: number, c: SizeClass, owner: number): void {
  const bits = freeBitsIndex(base, c);
  const fullWords = c.objects >>> 5;
  i32.fill(-1, bits, bits + fullWords);
  if (c.objects & 31) i32[bits + fullWords] = (1 << (c.objects & 31)) - 1;
  i32.fill(0, bits + c.words, bits + 2 * c.words);
  const header = headerIndex(base, c.slabBytes);
  i32[header + CLASS] = c.index;
  i32[header + OWNER] = owner;
  Atomics.store(i32, header + RC, CLAIMED | c.objects);
}

/** Marks the slab at `base` as parked in the page pool. */
export function parkSlab(i32: Int32Array, base: number, slabBytes: number): void {
  i32[headerIndex(base, slabBytes) + CLASS] = POOLED;
}

/** The slot of the thread that last claimed the slab. */
export function slabOwner(i32: Int32Array, base: number, slabBytes: number): number {
  return i32[headerIndex(base, slabBytes) + OWNER];
}

/** The slab's free count (its `rc` without the claimed bit). */
export function freeCount(i32: Int32Array, base: number, slabBytes: number): number {
  return Atomics.load(i32, rcIndex(base, slabBytes)) & COUNT_MASK;
}

/** Records `owner` as the slab's owner (for stats and check). */
export function setOwner(i32: Int32Array, base: number, slabBytes: number, owner: number): void {
  i32[headerIndex(base, slabBytes) + OWNER] = owner;
}

/**
 * The owner takes every free bit of word `w` at once and returns them (0 if none). Exchange first, subtract
 * after: see the module comment.
 */
export function takeWord(i32: Int32Array, base: number, c: SizeClass, w: number): number {
  const taken = Atomics.exchange(i32, freeBitsIndex(base, c) + w, 0);
  if (taken !== 0) Atomics.sub(i32, rcIndex(base, c.slabBytes), popcount(taken));
  return taken;
}

/** Returns bits the owner took but did not hand out (before it lets the slab go). */
export function returnBits(i32: Int32Array, base: number, c: SizeClass, w: number, bits: number): void {
  Atomics.add(i32, rcIndex(base, c.slabBytes), popcount(bits));
  Atomics.or(i32, freeBitsIndex(base, c) + w, bits);
}

/**
 * Frees the `count` blocks whose bits are `mask` in word `w` of the slab into its bit-set (from any thread) and
 * says which transition, if any, the caller must carry out. Add first, then set the bits: see the module
 * comment. One add and one or for a whole word of blocks: frees are coalesced per word before they get here.
 */
export function freeBlocks(
  i32: Int32Array,
  base: number,
  c: SizeClass,
  w: number,
  mask: number,
  count: number,
): number {
  const before = Atomics.add(i32, rcIndex(base, c.slabBytes), count);
  Atomics.or(i32, freeBitsIndex(base, c) + w, mask);
  if (before & CLAIMED) return STAY;
  const after = (before & COUNT_MASK) + count;
  if (after === c.objects) return before < c.cutoff ? RELEASE : EMPTY;
  return before < c.cutoff && after >= c.cutoff ? OFFER : STAY;
}

/**
 * Unclaims the slab (its owner lets it go) and says what must happen to it, deciding on the count read by the
 * same atomic operation: {@link EMPTY} when every block is free, {@link OFFER} when
 * at least `cutoff` are (a free will not offer it, since that fires only on crossing `cutoff` while
 * unclaimed), {@link STAY} otherwise: the slab floats until frees make it available.
 */
export function unclaim(i32: Int32Array, base: number, c: SizeClass): number {
  const count = Atomics.and(i32, rcIndex(base, c.slabBytes), ~CLAIMED) & COUNT_MASK;
  if (count === c.objects) return EMPTY;
  return count >= c.cutoff ? OFFER : STAY;
}

/**
 * Claims a slab taken from the available set. Succeeds unless the slab is already claimed, which cannot
 * happen to a slab popped from the set (only unclaimed slabs are pushed, and a pop hands each out once).
 */
export function claim(i32: Int32Array, base: number, slabBytes: number): boolean {
  return (Atomics.or(i32, rcIndex(base, slabBytes), CLAIMED) & CLAIMED) === 0;
}

/** The block index of `ptr` in the slab at `base`, or -1 when `ptr` is not the start of a block. */
export function blockIndex(ptr: number, base: number, c: SizeClass): number {
  const offset = ptr - base;
  const index = Math.floor(offset / c.size);
  return index * c.size === offset && index < c.objects ? index : -1;
}

/** Checked mode: marks block `index` live; false if it already was (the allocator would hand it out twice). */
export function markLive(i32: Int32Array, base: number, c: SizeClass, index: number): boolean {
  const bit = 1 << (index & 31);
  return (Atomics.or(i32, freeBitsIndex(base, c) + c.words + (index >>> 5), bit) & bit) === 0;
}

/** Checked mode: marks block `index` free; false if it was not live (a double free or a foreign pointer). */
export function markFreed(i32: Int32Array, base: number, c: SizeClass, index: number): boolean {
  const bit = 1 << (index & 31);
  return (Atomics.and(i32, freeBitsIndex(base, c) + c.words + (index >>> 5), ~bit) & bit) !== 0;
}

/** How long {@link settled} waits for frees between their count and their bits: far longer than those two steps. */
const SETTLE_SPINS = 1 << 16;

/**
 * Waits until every block of the empty slab at `base` has its free bit, and says whether they all came. A
 * free adds to the count before it sets its bits, so the free that sees the count reach `objects` may run
 * ahead of another free whose bits are still on their way; releasing the slab then would let those bits land
 * in its next life, on blocks that are live there (two workers cycling 16 KiB slabs hit this within seconds).
 * False only when a free never finishes (its worker was terminated between the two steps): the caller then
 * keeps the slab out of use, and check() reports its count above its free bits.
 */
export function settled(i32: Int32Array, base: number, c: SizeClass): boolean {
  const bits = freeBitsIndex(base, c);
  for (let spins = 0; spins < SETTLE_SPINS; spins++) {
    let set = 0;
    for (let w = 0; w < c.words; w++) set += popcount(Atomics.load(i32, bits + w));
    if (set === c.objects) return true;
  }
  return false;
}

/** A snapshot of a slab's header for check() and snapshot(). */
export function readSlab(i32: Int32Array, base: number, slabBytes: number) {
  const header = headerIndex(base, slabBytes);
  const rc = Atomics.load(i32, header + RC);
  const cls = i32[header + CLASS];
  const c = cls >= 0 ? SIZE_CLASSES[cls] : undefined;
  let freeBits = 0;
  if (c) {
    const bits = freeBitsIndex(base, c);
    for (let w = 0; w < c.words; w++) freeBits += popcount(Atomics.load(i32, bits + w));
  }
  return { cls, claimed: (rc & CLAIMED) !== 0, count: rc & COUNT_MASK, owner: i32[header + OWNER], freeBits };
}

/**
 * For check: the header of the slab at `base` when the page map (at byte offset `map`) and the header both say
 * it is a slab of class `c`; undefined otherwise.
 */
export function slabOfClass(i32: Int32Array, u32: Uint32Array, map: number, base: number, c: SizeClass) {
  const slab = readSlab(i32, base, c.slabBytes);
  const e = entryIndex(map, base);
  return u32[e] === base + KIND_SLAB && u32[e + 1] === c.index && slab.cls === c.index ? slab : undefined;
}

/**
 * For check: the slab at `base`, which the page map names a slab of class `cls` and which is not parked, has
 * that class in its header and a free count equal to its free bits, at most its blocks. Returns the blocks it
 * has handed out (0 when its header names another class).
 */
export function checkSlab(i32: Int32Array, base: number, cls: number, problems: string[]): number {
  const c = SIZE_CLASSES[cls];
  const slab = readSlab(i32, base, c.slabBytes);
  if (slab.cls !== cls) {
    problems.push(`slab ${base}: header class ${slab.cls}, page map class ${cls}`);
    return 0;
  }
  if (slab.count !== slab.freeBits)
    problems.push(`slab ${base}: count ${slab.count} but ${slab.freeBits} free bits`);
  if (slab.count > c.objects) problems.push(`slab ${base}: count ${slab.count} above ${c.objects} objects`);
  return c.objects - slab.freeBits;
}
