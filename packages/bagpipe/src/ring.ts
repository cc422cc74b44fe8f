/**
 * The ring: a bounded MPMC FIFO of u32 items on 32-bit Atomics, the building block of {@link Queue} and of
 * every sub-queue of a {@link BagPipe}. It is Vyukov's bounded queue (a sequence word per cell) with the
 * positions claimed in the cells themselves rather than on shared head and tail counters, extended so that a
 * worker that stalls or is terminated in the middle of an operation never blocks the others, and so that an
 * item can be revoked in place.
 *
 * Layout (32-bit words from the ring's first word `q`; head and tail on lines of their own):
 *
 * ```
 *  q +  0  header line (see region.ts): CAPACITY = cells (power of two >= 8), PARAM = first cell number
 *  q + 16  HEAD   hint: a position every earlier one of which was popped or skipped (wraps at 2^32)
 *  q + 32  TAIL   hint: a position every earlier one of which was claimed by a pusher or skipped
 *  q + 48  cells of 2 words, SEQ and VALUE; the cell of position p is cellOf(p): a permutation of
 *          p mod capacity that puts consecutive positions on different cache lines
 * ```
 *
 * A cell's SEQ is `lap + state`, where `lap` is the position the cell serves (≡ the cell's index modulo the
 * capacity; the capacity is at least 8 so that the seven states never alias another lap):
 *
 * ```
 *   lap + 0  FREE            no pusher has claimed position lap
 *   lap + 5  WAITED          FREE, and a consumer sleeps until an item comes: its pusher must wake them
 *   lap + 3  WRITING         pusher(lap) claimed it and is writing VALUE
 *   lap + 6  WRITING_WAITED  WRITING, and a consumer sleeps until the item is published
 *   lap + 1  FULL            VALUE holds pusher(lap)'s item
 *   lap + 2  REVOKED         the item was revoked in place
 *   m   + 4  ABANDONED       a writer the poppers gave up on still owns the cell; positions up to m are skipped
 *
 *   push at p:  p -> p+3, or p+5 -> p+6 (CAS: claims p), writes VALUE,
 *               p+3 or p+6 -> p+1 (CAS: publishes; from p+6 it then wakes the consumers)
 *               if the publish fails (ABANDONED m): m+4 -> m+cap (CAS: releases the cell), push again
 *               older ABANDONED m -> p+4 (CAS: moves the mark on, skips p)
 *   pop at h:   h+1 -> h+cap (CAS, after reading VALUE: takes the item and frees the cell for the next lap)
 *               h+2 -> h+cap (CAS: skips a revoked item)
 *               h+3 or h+6 -> h+4 (CAS, only after spinning: gives up on a late writer, skips h; from h+6
 *               it wakes the consumers, who wait for a later position now)
 *               h -> h+5, h+3 -> h+6 (CAS, by a consumer about to sleep: see channel.ts)
 *   revoke:     p+1 -> p+2   (CAS, only when VALUE is the item)
 * ```
 *
 * Every transition is a CAS from the exact SEQ value read, so exactly one contender wins each cell state: two
 * pushers for a position, a pop against a revoke, a late writer's publish against the popper giving up on it,
 * a writer's release against a pusher moving the mark on. HEAD and TAIL are plain hints: read plainly to
 * start, written plainly after an operation, possibly lowered by a late store; a side that finds its hint
 * stale walks forward, one cell per position, to the first position not yet decided.
 *
 * Order. Each position is decided by the pushers before any later one (a pusher moves to p + 1 only once the
 * cell of p says p is claimed or skipped), and by the poppers before any later one (a popper moves to h + 1
 * only once the cell of h was taken, revoked or skipped). So a FREE cell at lap h, or the ABANDONED mark of an
 * older lap (pusher(h) has not skipped h yet), means that nothing was claimed at h or later: an exact EMPTY.
 * A cell still holding an older lap's item (FULL, REVOKED or WRITING) means that position is not yet popped:
 * an exact FULL. Skips never hide an item: a position is skipped only while its cell is ABANDONED, and the
 * release of an ABANDONED mark m goes to lap m + capacity, a lap nobody has decided yet; so no item is ever
 * published behind the poppers, and none is skipped.
 *
 * Late and terminated workers. A pusher holds a cell only while WRITING; if it is late, poppers give up on it
 * after spinning (WRITING -> ABANDONED), its publish fails, it releases the cell and pushes its item again.
 * One terminated while WRITING leaves that one cell ABANDONED for good: later laps move the mark on and skip
 * it (the ring works with one cell less). A pop takes its item with a single CAS, so a popper terminated at
 * any point leaves nothing behind, and a pusher terminated outside WRITING neither. An item is in the ring
 * or out of it, never torn: VALUE is one word, and only the CASes that publish and take it count.
 *
 * Memory ordering. JS Atomics are sequentially consistent, and an atomic read that sees an atomic write
 * synchronises with it. A pusher's claim CAS reads the SEQ the previous lap's pop (or release) wrote, so that
 * popper's plain read of VALUE happens before the pusher's plain write of it; the publish CAS makes the write
 * visible to a popper whose atomic load sees FULL. A popper or revoker whose plain read of VALUE raced with a
 * later lap's writer may read anything, but then its CAS from the stale SEQ fails and the value is discarded.
 * Positions wrap at 2^32: a CAS could be fooled only by a worker stalled between its load and its CAS while
 * 2^32 further positions pass through the ring (ABA bound), and hints are compared by signed differences.
 *
 * @module
 */
import { LINE, PARAM } from "./region.js";

export const HEAD = LINE;
export const TAIL = 2 * LINE;
export const CELLS = 3 * LINE;

const FULL = 1;
const REVOKED = 2;
const WRITING = 3;
const ABANDONED = 4;
const WAITED = 5;
const WRITING_WAITED = 6;

/** The smallest capacity: the seven states of a lap must not alias the next lap. */
export const MIN_RING_CAPACITY = 8;

/** pushOnce results. */
export const PUSHED = 0;
/** The cell of the next position still holds an older lap that was not popped. */
export const FULL_RING = 1;
/** Our write was given up on by the poppers (we were late): push again. */
export const RETRY = 2;

/** popOnce results besides an item (>= 0) and EMPTY (-1). */
export const POP_RETRY = -2;
/** The next item is still being written: spin, then call again with `force` to give up on its writer. */
export const POP_STALLED = -3;

/**
 * The SEQ word of the cell of `position`. Consecutive positions are spread over different 64-byte lines
 * (position bits `..xyz` put the cell in line `xyz` of 8 groups), so that a producer writing position p + 1
 * does not keep stealing the line a consumer is reading position p from (the original's "staggered indexes").
 */
function cellOf(q: number, position: number, capacity: number): number {
  const index = position & (capacity - 1);
  return q + CELLS + 2 * ((index >>> 3) | ((index & 7) * (capacity >>> 3)));
}

/** Bytes of a ring of `capacity` cells. */
export function ringByteLength(capacity: number): number {
  return (CELLS + 2 * capacity) * 4;
}

/** Initialises the ring's words after its header: positions 0, every cell FREE for its first lap. */
export function initRing(i32: Int32Array, q: number, capacity: number): void {
  i32[q + HEAD] = 0;
  i32[q + TAIL] = 0;
  for (let i = 0; i < capacity; i++) {
    i32[cellOf(q, i, capacity)] = i;
    i32[cellOf(q, i, capacity) + 1] = 0;
  }
}

/** The later of a position and a hint read from HEAD or TAIL (either may lag behind the first undecided one). */
function later(position: number, hint: number): number {
  return ((hint - position) | 0) > 0 ? hint : position;
}

/**
 * One push of `item`: claims the first position not yet decided and publishes the item there. `handle` is
 * the word index of the item's revocation handle, or -1: while the cell is WRITING, the cell's number + 1 is
 * stored there (0 stays "in no cell"). `signal` is the word index of the futex word sleeping consumers wait
 * on: a push that claims a cell marked WAITED bumps it and wakes them (see channel.ts).
 */
export function pushOnce(
  i32: Int32Array,
  q: number,
  capacity: number,
  item: number,
  handle: number,
  signal: number,
): number {
  // The common case first, out of the walking loop (which slows it down when it shares its code): the cell
  // of the TAIL hint is FREE for its lap.
  const t = i32[q + TAIL];
  const cell = cellOf(q, t, capacity);
  const seq = Atomics.compareExchange(i32, cell, t, (t + WRITING) | 0);
  if (seq === t) return fill(i32, q, cell, t, capacity, item, handle, (t + WRITING) | 0, signal);
  return pushWalking(i32, q, capacity, item, handle, signal, t, seq);
}

/** pushOnce from position t, whose cell's SEQ was found to be `seq`: walks to the first undecided position. */
function pushWalking(
  i32: Int32Array,
  q: number,
  capacity: number,
  item: number,
  handle: number,
  signal: number,
  t: number,
  seq: number,
): number {
  for (; ; seq = Atomics.compareExchange(i32, cellOf(q, t, capacity), t, (t + WRITING) | 0)) {
    const cell = cellOf(q, t, capacity);
    if (seq === t) return fill(i32, q, cell, t, capacity, item, handle, (t + WRITING) | 0, signal);
    const ahead = (seq - t) | 0;
    if (ahead === WAITED) {
      // FREE, marked by a consumer about to sleep: claim it keeping the mark, so that the publish wakes them.
      const waited = (t + WRITING_WAITED) | 0;
      if (Atomics.compareExchange(i32, cell, seq, waited) === seq) {
        return fill(i32, q, cell, t, capacity, item, handle, waited, signal);
      }
    } else if (ahead >= capacity) {
      t = later((t + 1) | 0, i32[q + TAIL]); // the cell is on a later lap: t was a stale hint
    } else if (ahead > 0) {
      t = (t + 1) | 0; // another pusher claimed t, or t was skipped
    } else if ((ahead & (capacity - 1)) !== ABANDONED) {
      i32[q + TAIL] = t; // a hint: the positions before t are decided
      return FULL_RING; // the cell still holds an older lap's item (or its writer): not popped yet
    } else {
      // A writer given up on still owns the cell: move its mark on to t, so that its release frees the cell
      // for a lap after t, and skip t. (If the CAS fails, the cell changed: look at it again.)
      if (Atomics.compareExchange(i32, cell, seq, (t + ABANDONED) | 0) === seq) t = (t + 1) | 0;
    }
  }
}

/** Pusher(t), having claimed the cell (its SEQ is now `writing`), writes the item and publishes it. */
function fill(
  i32: Int32Array,
  q: number,
  cell: number,
  t: number,
  capacity: number,
  item: number,
  handle: number,
  writing: number,
  signal: number,
): number {
  i32[q + TAIL] = (t + 1) | 0; // a hint: t is decided
  i32[cell + 1] = item;
  if (handle >= 0) Atomics.store(i32, handle, i32[q + PARAM] + (t & (capacity - 1)) + 1);
  return publish(i32, cell, t, capacity, writing, signal);
}

/**
 * Pusher(t) publishes its item (from `writing`, the SEQ its claim left), waking the consumers if one marked the
 * cell meanwhile; or releases the cell a popper gave up on it in. Exported for tests.
 */
export function publish(
  i32: Int32Array,
  cell: number,
  t: number,
  capacity: number,
  writing: number,
  signal: number,
): number {
  for (let seq = writing; ; ) {
    const found = Atomics.compareExchange(i32, cell, seq, (t + FULL) | 0);
    if (found === seq) {
      if (seq === ((t + WRITING_WAITED) | 0)) wakeConsumers(i32, signal);
      return PUSHED;
    }
    if (found !== ((t + WRITING_WAITED) | 0)) return release(i32, cell, found, capacity);
    seq = found; // a consumer marked the cell while we wrote: publish from that state
  }
}

/**
 * A writer given up on: the cell is ABANDONED with a mark m >= t, and our VALUE store is done, so the cell can
 * serve lap m + capacity. Pushers may move the mark on meanwhile: retry from what the CAS found (the cell
 * stays ABANDONED until this release).
 */
function release(i32: Int32Array, cell: number, seq: number, capacity: number): number {
  for (;;) {
    const found = Atomics.compareExchange(i32, cell, seq, (seq - ABANDONED + capacity) | 0);
    if (found === seq) return RETRY;
    seq = found;
  }
}

/** Bumps the futex word sleeping consumers wait on, and wakes them all (they race for what came). */
function wakeConsumers(i32: Int32Array, signal: number): void {
  Atomics.add(i32, signal, 1);
  Atomics.notify(i32, signal);
}

/**
 * One pop: an item, EMPTY (-1), POP_RETRY (lost a race for the item; call again) or POP_STALLED (the next
 * item is still being written; with `force`, gives up on its writer and goes on). `signal` as for pushOnce.
 */
export function popOnce(
  i32: Int32Array,
  q: number,
  capacity: number,
  force: boolean,
  signal: number,
): number {
  // The common case first, out of the walking loop: the cell of the HEAD hint holds its lap's item. SEQ is
  // loaded atomically: seeing FULL is what makes the pusher's plain store to VALUE visible to take's plain
  // load of VALUE.
  const h = i32[q + HEAD];
  const cell = cellOf(q, h, capacity);
  const seq = Atomics.load(i32, cell);
  if (seq === ((h + FULL) | 0)) return take(i32, q, cell, h, capacity, seq);
  return popWalking(i32, q, capacity, force, signal, h, seq);
}

/** Takes the item of the FULL cell of position h (its SEQ is `seq`); POP_RETRY if a pop or revoke won it. */
function take(i32: Int32Array, q: number, cell: number, h: number, capacity: number, seq: number): number {
  const item = i32[cell + 1] >>> 0;
  if (Atomics.compareExchange(i32, cell, seq, (h + capacity) | 0) !== seq) return POP_RETRY;
  i32[q + HEAD] = (h + 1) | 0; // a hint: h is decided
  return item;
}

/** popOnce from position h, whose cell's SEQ was found to be `seq`: skips decided positions. */
function popWalking(
  i32: Int32Array,
  q: number,
  capacity: number,
  force: boolean,
  signal: number,
  h: number,
  seq: number,
): number {
  for (; ; seq = Atomics.load(i32, cellOf(q, h, capacity))) {
    const cell = cellOf(q, h, capacity);
    const ahead = (seq - h) | 0;
    if (ahead === FULL) return take(i32, q, cell, h, capacity, seq);
    if (ahead === 0 || ahead === WAITED) return -1; // FREE: nothing claimed at h (so none after it)
    // An older lap's ABANDONED mark: pusher(h) has yet to skip h (nothing claimed at h or after it either),
    // but no wake-up will come for h: reported like a late writer, so that sleeping pops nap briefly.
    if (ahead < 0) return POP_STALLED;
    if (ahead === WRITING || ahead === WRITING_WAITED) {
      if (!force) return POP_STALLED;
      // A late (or terminated) writer: give position h up; its publish will then fail. Consumers sleeping
      // for h are woken: they wait for a later position now.
      if (Atomics.compareExchange(i32, cell, seq, (h + ABANDONED) | 0) !== seq) continue;
      if (ahead === WRITING_WAITED) wakeConsumers(i32, signal);
    } else if (ahead === REVOKED) {
      if (Atomics.compareExchange(i32, cell, seq, (h + capacity) | 0) !== seq) continue;
    } else if (ahead >= capacity) {
      h = later((h + 1) | 0, i32[q + HEAD]); // the cell is on a later lap: h was a stale hint
      continue;
    }
    // h is decided (skipped: revoked or given up on): the next position.
    h = (h + 1) | 0;
    i32[q + HEAD] = h;
  }
}

/**
 * For a consumer about to sleep: marks the cell of the first position not yet decided (FREE -> WAITED, or
 * WRITING -> WRITING_WAITED), so that the push of that position wakes the consumers when it publishes. True
 * when it is marked (by this call or another consumer), false when an item, or an older lap's ABANDONED mark,
 * is there (the consumer's next pop deals with it).
 */
export function markWaited(i32: Int32Array, q: number, capacity: number): boolean {
  for (let h = i32[q + HEAD]; ; ) {
    const cell = cellOf(q, h, capacity);
    const seq = Atomics.load(i32, cell);
    const ahead = (seq - h) | 0;
    if (ahead === WAITED || ahead === WRITING_WAITED) return true;
    if (ahead === 0 || ahead === WRITING) {
      const marked = (h + (ahead === 0 ? WAITED : WRITING_WAITED)) | 0;
      if (Atomics.compareExchange(i32, cell, seq, marked) === seq) return true;
    } else if (ahead === ABANDONED) {
      h = (h + 1) | 0;
    } else if (ahead >= capacity) {
      h = later((h + 1) | 0, i32[q + HEAD]);
    } else {
      return false;
    }
  }
}

/**
 * Revokes `item` from the cell of position index `index` (the cell number a push recorded) of the ring: true
 * if it was there (FULL) and this call removed it, false if the cell holds something else (a consumer took
 * the item).
 */
export function revokeCell(
  i32: Int32Array,
  q: number,
  capacity: number,
  index: number,
  item: number,
): boolean {
  const cell = cellOf(q, index, capacity);
  for (;;) {
    const seq = Atomics.load(i32, cell);
    if (((seq - index) & (capacity - 1)) !== FULL) return false;
    if (i32[cell + 1] >>> 0 !== item) return false;
    if (Atomics.compareExchange(i32, cell, seq, (seq + 1) | 0) === seq) return true;
  }
}

/**
 * Positions pushed and not yet popped (revoked items included): exact when quiescent. The hints can lag, so
 * both are walked forward over the positions their cells show decided.
 */
export function ringSize(i32: Int32Array, q: number, capacity: number): number {
  let h = Atomics.load(i32, q + HEAD);
  for (let n = 0; n < capacity && popped(Atomics.load(i32, cellOf(q, h, capacity)), h, capacity); n++) {
    h = (h + 1) | 0;
  }
  let t = later(h, Atomics.load(i32, q + TAIL));
  for (let n = 0; n < capacity && claimed(Atomics.load(i32, cellOf(q, t, capacity)), t); n++) {
    t = (t + 1) | 0;
  }
  return (t - h) | 0;
}

/** Whether a cell whose SEQ is `seq` shows position `h` taken or skipped by the poppers. */
function popped(seq: number, h: number, capacity: number): boolean {
  const ahead = (seq - h) | 0;
  return ahead === ABANDONED || ahead >= capacity;
}

/** Whether a cell whose SEQ is `seq` shows position `t` claimed or skipped by the pushers. */
function claimed(seq: number, t: number): boolean {
  const ahead = (seq - t) | 0;
  return ahead > 0 && ahead !== WAITED;
}
