/**
 * Medium chunks: 64 KiB of the heap carved into blocks of any number of 64-byte units, for requests from 257 B
 * to 16 KiB. Size classes round such requests up by up to 25% and keep a partly free slab per class; a chunk
 * serves every medium size, exact to 64 bytes, from one thread's best fit (medium-index.ts).
 *
 * Layout (the chunk is 16 KiB-aligned, so every unit is 64-aligned):
 * ```
 * base                                                                                    base + 64 KiB
 * | header: 9 units (576 B)                                   | unit 9 | unit 10 | ...       | unit 1023 |
 *   i32 words: 0 owner | 1 remote | 2 next | 3 prev
 *              then for each 32 units w = 0..31:  free bits | start bits | pending bits | -   (words 4 + 4w ..)
 * ```
 * - `owner`: slot + 1 of the thread whose index lists the chunk's free blocks; 0 while orphaned (its thread
 *   left and offered the chunk in the root's orphan set). Only the owner changes the free and start bits below.
 *   An orphan is adopted by the one thread that clears its bit in the orphan set (a take or a revoke,
 *   available-slabs.ts), which then stores its own slot + 1 here: no thread writes the owner word of a chunk
 *   it does not own.
 * - `remote`: a stack of blocks that other threads freed, linked through each block's first word (0: empty).
 * - `next`, `prev`: the owner's list of its chunks (for detach and reclaim).
 * - free bits: a bit per unit of every free block. start bits: a bit at the first unit of every block, free or
 *   live, so a live block's length is the distance to the next start bit. pending bits: at the first unit of
 *   blocks that sit on the remote stack, set with `Atomics.or` before the push, so a block is never on the
 *   stack twice (a double free would make the stack a cycle). The three words of each 32 units sit together
 *   in one cache line, since a free reads all three: one line of bits rather than three.
 *
 * The bit-sets are the truth; the owner's free lists are an index over them, kept in its thread record, and a
 * thread that adopts a chunk rebuilds its part of the index from the bits. Every owner operation leaves the
 * bits valid at each step, so a worker killed mid-call leaves at worst a lost block, or two free runs that
 * touch (merged by whoever rebuilds): an allocation sets the remainder's start bit before it clears the
 * block's free bits, a free sets free bits before it clears the start bits between merged blocks.
 *
 * A free block also carries, for the owner's index, `next | prev | units` in its first three words. A block
 * finds the start of the block before it from the start bits, which sit in the header's cache lines, rather
 * than from a tag at that block's end (one more line written on every free).
 *
 * @module
 */
import { highestBit, lowestBit, popcount } from "@allocators/object-alloc";

/** Bytes of a chunk: a 64 KiB page of the page pool. */
export const CHUNK_BYTES = 65536;
/** Bytes of a unit, the chunk's allocation grain and the alignment of its blocks. */
export const UNIT = 64;
export const UNIT_SHIFT = 6;
/** Units of a chunk, header included. */
export const UNITS = CHUNK_BYTES / UNIT;
/** Units the header takes; blocks start at this unit. */
export const HEADER_UNITS = 9;
/** Units a chunk gives to blocks. */
export const CAPACITY = UNITS - HEADER_UNITS;
/** The smallest and largest request served from chunks. */
export const MEDIUM_MIN = 257;
export const MEDIUM_MAX = 16384;

const OWNER = 0;
const REMOTE = 1;
const NEXT = 2;
const PREV = 3;
/** The bit-sets: a group of four words per 32 units from word BITS, one word of each kind per group. */
const BITS = 4;
const FREE = 0;
const START = 1;
const PENDING = 2;
const GROUPS = UNITS / 32;

/** i32 index of the word of bit-set `kind` for units `32w .. 32w + 31` of the chunk at `base`. */
function word(base: number, kind: number, w: number): number {
  return (base >>> 2) + BITS + (w << 2) + kind;
}

/** Free-block fields, in u32 words from the block's start. */
export const F_NEXT = 0;
export const F_PREV = 1;
export const F_UNITS = 2;

/** Units a request of `size` bytes takes. */
export function unitsFor(size: number): number {
  return (size + UNIT - 1) >>> UNIT_SHIFT;
}

/** The unit of `ptr` in the chunk at `base`. */
export function unitOf(base: number, ptr: number): number {
  return (ptr - base) >>> UNIT_SHIFT;
}

export function ownerIndex(base: number): number {
  return (base >>> 2) + OWNER;
}

export function nextChunk(u32: Uint32Array, base: number): number {
  return u32[(base >>> 2) + NEXT];
}

export function setLinks(u32: Uint32Array, base: number, next: number, prev: number): void {
  u32[(base >>> 2) + NEXT] = next;
  u32[(base >>> 2) + PREV] = prev;
}

export function prevChunk(u32: Uint32Array, base: number): number {
  return u32[(base >>> 2) + PREV];
}

/**
 * Formats a chunk for thread `slot` with one free block over all its units. Called by the thread that took
 * the pages, before the page map names them: nothing else can see the chunk yet.
 */
export function initChunk(u32: Uint32Array, base: number, slot: number): void {
  const h = base >>> 2;
  u32.fill(0, h, word(base, 0, GROUPS));
  u32[h + OWNER] = slot + 1;
  setBits(u32, base, FREE, HEADER_UNITS, UNITS);
  setBit(u32, base, START, HEADER_UNITS);
}

/** The block at unit `unit` is the start of a block (free or live). */
export function isStart(u32: Uint32Array, base: number, unit: number): boolean {
  return testBit(u32, base, START, unit);
}

/** Unit `unit` belongs to a free block. */
export function isFree(u32: Uint32Array, base: number, unit: number): boolean {
  return testBit(u32, base, FREE, unit);
}

/** Units of the block that starts at `unit`: up to the next start bit, or the chunk's end. */
export function blockUnits(u32: Uint32Array, base: number, unit: number): number {
  let w = (unit + 1) >>> 5;
  let bits = w < GROUPS ? u32[word(base, START, w)] & (-1 << ((unit + 1) & 31)) : 0;
  while (bits === 0 && ++w < GROUPS) bits = u32[word(base, START, w)];
  if (bits === 0) return UNITS - unit;
  return (w << 5) + lowestBit(bits) - unit;
}

/** The first unit of the block that ends just before `unit` (HEADER_UNITS < unit): the last start bit below. */
export function blockBefore(u32: Uint32Array, base: number, unit: number): number {
  let w = (unit - 1) >>> 5;
  let bits = u32[word(base, START, w)] & (-1 >>> (31 - ((unit - 1) & 31)));
  while (bits === 0 && w > 0) bits = u32[word(base, START, --w)];
  return (w << 5) + highestBit(bits);
}

export function markStart(u32: Uint32Array, base: number, unit: number): void {
  setBit(u32, base, START, unit);
}

export function clearStart(u32: Uint32Array, base: number, unit: number): void {
  u32[word(base, START, unit >>> 5)] &= ~(1 << (unit & 31));
}

/** Marks units `[from, to)` free. */
export function markFree(u32: Uint32Array, base: number, from: number, to: number): void {
  setBits(u32, base, FREE, from, to);
}

/** Marks units `[from, to)` live. */
export function markLive(u32: Uint32Array, base: number, from: number, to: number): void {
  for (let u = from; u < to; ) {
    const w = u >>> 5;
    const end = Math.min(to, (w + 1) << 5);
    u32[word(base, FREE, w)] &= ~rangeMask(u & 31, end - (w << 5));
    u = end;
  }
}

/** Units of the chunk that are free. */
export function freeUnits(u32: Uint32Array, base: number): number {
  let n = 0;
  for (let w = 0; w < GROUPS; w++) n += popcount(u32[word(base, FREE, w)]);
  return n;
}

/**
 * Calls `visit(unit, units)` for each maximal run of free units, and clears the start bits inside runs, so
 * that each run is one block again (after a worker was killed between the steps of a merge, or after frees
 * applied to the bits alone).
 */
export function forEachFreeRun(
  u32: Uint32Array,
  base: number,
  visit: (unit: number, units: number) => void,
): void {
  for (let u = HEADER_UNITS; u < UNITS; ) {
    if (!isFree(u32, base, u)) {
      u++;
      continue;
    }
    let end = u + 1;
    while (end < UNITS && isFree(u32, base, end)) clearStart(u32, base, end++);
    markStart(u32, base, u);
    visit(u, end - u);
    u = end;
  }
}

/** Calls `visit(unit, units, free)` for each block of the chunk, in address order (for check and snapshot). */
export function forEachBlock(
  u32: Uint32Array,
  base: number,
  visit: (unit: number, units: number, free: boolean) => void,
): void {
  for (let u = HEADER_UNITS; u < UNITS; ) {
    const n = blockUnits(u32, base, u);
    visit(u, n, isFree(u32, base, u));
    u += n;
  }
}

/** Units of the header whose bits are set, which no valid chunk has (for check). */
function headerBitsSet(u32: Uint32Array, base: number): number {
  const headerMask = (1 << HEADER_UNITS) - 1;
  return (
    popcount(u32[word(base, FREE, 0)] & headerMask) +
    popcount(u32[word(base, START, 0)] & headerMask) +
    popcount(u32[word(base, PENDING, 0)] & headerMask)
  );
}

/**
 * Another thread frees the block at `ptr`: marks it pending, then pushes it on the chunk's remote stack.
 * Returns false, pushing nothing, when the block is already pending (a double free).
 *
 * The push is a Treiber push: link to the head read, compare-exchange the head. The owner only ever takes the
 * whole stack with one exchange, so a head that was taken and pushed again in between is still the head the
 * link names when the compare-exchange succeeds: no ABA.
 */
export function pushRemote(i32: Int32Array, base: number, ptr: number): boolean {
  const unit = unitOf(base, ptr);
  const bit = 1 << (unit & 31);
  if (Atomics.or(i32, word(base, PENDING, unit >>> 5), bit) & bit) return false;
  const head = (base >>> 2) + REMOTE;
  for (;;) {
    const top = Atomics.load(i32, head);
    i32[ptr >>> 2] = top;
    if (Atomics.compareExchange(i32, head, top, ptr) === top) return true;
  }
}

/** The owner takes the whole remote stack (0: empty). */
export function takeRemote(i32: Int32Array, base: number): number {
  return Atomics.load(i32, (base >>> 2) + REMOTE) === 0 ? 0 : Atomics.exchange(i32, (base >>> 2) + REMOTE, 0);
}

/** The remote stack's top, without taking it. */
export function remoteTop(i32: Int32Array, base: number): number {
  return Atomics.load(i32, (base >>> 2) + REMOTE);
}

/**
 * The block at `unit` sits on the remote stack. A plain read: other threads only ever set these bits (with
 * `Atomics.or`) and the owner clears them, so a stale read can only miss a push still in flight.
 */
export function isPending(u32: Uint32Array, base: number, unit: number): boolean {
  return testBit(u32, base, PENDING, unit);
}

/** Clears the pending bit of a block the owner took off the remote stack, after it freed the block. */
export function clearPending(i32: Int32Array, base: number, unit: number): void {
  Atomics.and(i32, word(base, PENDING, unit >>> 5), ~(1 << (unit & 31)));
}

function testBit(u32: Uint32Array, base: number, kind: number, unit: number): boolean {
  return (u32[word(base, kind, unit >>> 5)] & (1 << (unit & 31))) !== 0;
}

function setBit(u32: Uint32Array, base: number, kind: number, unit: number): void {
  u32[word(base, kind, unit >>> 5)] |= 1 << (unit & 31);
}

function setBits(u32: Uint32Array, base: number, kind: number, from: number, to: number): void {
  for (let u = from; u < to; ) {
    const w = u >>> 5;
    const end = Math.min(to, (w + 1) << 5);
    u32[word(base, kind, w)] |= rangeMask(u & 31, end - (w << 5));
    u = end;
  }
}

/** Bits `[from, to)` of a word, 0 <= from < to <= 32. */
function rangeMask(from: number, to: number): number {
  return ((to === 32 ? -1 : (1 << to) - 1) & (-1 << from)) >>> 0;
}

/** What check gathers from the blocks of every chunk. */
export interface ChunkBlocks {
  /** Live blocks, pending ones included, and their units. */
  liveBlocks: number;
  liveUnits: number;
  /** Live blocks that are not pending, by address: their units. */
  live: Map<number, number>;
}

/**
 * For check: the chunk at `base` has no bits set in its header, each of its blocks is all free or all live, and
 * its pending bits mark exactly the blocks on its remote stack. Adds its free blocks to `free` (address ->
 * units) and its live blocks to `blocks`.
 */
export function checkChunk(
  i32: Int32Array,
  u32: Uint32Array,
  base: number,
  free: Map<number, number>,
  blocks: ChunkBlocks,
  problems: string[],
): void {
  if (headerBitsSet(u32, base) !== 0) problems.push(`medium chunk ${base}: bits set in its header`);
  const pending = new Set<number>();
  forEachBlock(u32, base, (unit, units, isFreeBlock) => {
    const ptr = base + unit * UNIT;
    let mixed = false;
    for (let k = 1; k < units; k++) {
      if (isFree(u32, base, unit + k) !== isFreeBlock) mixed = true;
    }
    if (mixed) problems.push(`medium chunk ${base}: block ${ptr} is part free, part live`);
    if (isFreeBlock) free.set(ptr, units);
    else {
      blocks.liveBlocks++;
      blocks.liveUnits += units;
      if (isPending(u32, base, unit)) pending.add(ptr);
      else blocks.live.set(ptr, units);
    }
  });
  let stacked = 0;
  for (let ptr = remoteTop(i32, base); ptr !== 0 && stacked <= pending.size; ptr = u32[ptr >>> 2]) {
    if (!pending.has(ptr)) {
      problems.push(`medium chunk ${base}: remote stack holds ${ptr}, not a pending live block`);
      break;
    }
    stacked++;
  }
  if (stacked !== pending.size) {
    problems.push(`medium chunk ${base}: ${pending.size} pending blocks, ${stacked} on the remote stack`);
  }
}
