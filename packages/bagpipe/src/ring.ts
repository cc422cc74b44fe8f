/**
 * The ring: a bounded MPMC FIFO of u32 items on 32-bit Atomics, the building block of {@link Queue} and of
 * every sub-queue of a {@link BagPipe}. It is Vyukov's bounded queue (a sequence word per cell) extended so
 * that a worker that stalls or is terminated in the middle of an operation never blocks the others, and so
 * that an item can be revoked in place.
 *
 * Layout (32-bit words from the ring's first word `q`; head and tail on lines of their own):
 *
 * ```
 *  q +  0  header line (see region.ts): CAPACITY = cells (power of two >= 8), PARAM = first cell number
 *  q + 16  HEAD   next position to pop   (wraps at 2^32)
 *  q + 32  TAIL   next position to push  (wraps at 2^32)
 *  q + 48  cells of 2 words, SEQ and VALUE; the cell of position p is cellOf(p): a permutation of
 *          p mod capacity that puts consecutive positions on different cache lines
 * ```
 *
 * Each position p is owned by one pusher (who won the CAS of TAIL from p) and one popper (who won the CAS of
 * HEAD from p). A cell's SEQ is `lap + state`, where `lap` is the position whose turn it is (≡ the cell's index
 * modulo the capacity; the capacity is at least 8 so that the five states never alias another lap):
 *
 * ```
 *   lap + 0  FREE       waiting for pusher(lap)
 *   lap + 1  FULL       VALUE holds pusher(lap)'s item
 *   lap + 2  REVOKED    the item was revoked in place: poppers skip it
 *   lap + 3  WRITING    pusher(lap) is writing VALUE
 *   lap + 4  ABANDONED  popper(lap) stopped waiting for a late writer; the writer's push will fail
 *
 *   pusher(p): p   -> p+3 (CAS), writes VALUE, p+3 -> p+1 (CAS; if it fails, p+4 -> p+cap and push elsewhere)
 *   popper(p): p+1 -> p+cap (CAS, after reading VALUE: the CAS proves VALUE was not rewritten meanwhile)
 *              p+2 -> p+cap (CAS: skip a revoked item)
 *              p   -> p+cap (CAS, only after spinning: poisons the position of a late pusher)
 *              p+3 -> p+4   (CAS, only after spinning: gives up on a late writer)
 *   revoke:    p+1 -> p+2   (CAS, only when VALUE is the item)
 * ```
 *
 * Every transition is a CAS from the exact SEQ value read (except the writer's release of ABANDONED, a state
 * only it leaves), so exactly one contender wins each cell state:
 * pop against revoke, pop against a poisoning, a late writer against the popper giving up on it, a stealing
 * pusher against a late popper. An item is handed out only by a CAS away from its FULL state, hence never
 * twice. A write that was given up on (ABANDONED) never becomes FULL, and a FULL item is never dropped:
 * positions are given up only in the FREE, REVOKED, WRITING and ABANDONED states. (One corner: a late
 * writer's release can reach a position whose popper already moved on; that position's item, if pushed, is
 * then reached by the cell's next lap rather than in its turn. Poppers wait briefly for the release to make
 * this rare; see info/bagpipe.md.)
 *
 * Late and terminated workers. When the owner of an older lap is late, the owner of the current lap takes
 * over after spinning (`force`): a later pusher resets a FREE or REVOKED cell of an older lap to its own lap,
 * or carries a FULL item of an older lap forward to its own lap (`old + 1 -> p + 1`: the item stays in the
 * same cell, so its revocation handle stays right); a later popper takes a FULL item of an older lap. Nobody
 * but the writer moves a WRITING or ABANDONED cell, because a late writer's plain store to VALUE could land at
 * any time: a worker terminated while WRITING leaves that one cell skipped by every later lap (the ring keeps
 * working with one cell less). A worker terminated at any other point costs nothing, and its item is either
 * in the ring or out of it (never published, or popped), never torn: VALUE is one word. An item whose popper
 * was terminated after claiming its position stays FULL in its cell until the next pusher of that cell
 * carries it forward (or a popper that reaches that cell takes it).
 *
 * Invariant: a cell moves past lap p only once HEAD > p (popper(p) claimed p, and later owners take over only
 * after HEAD passed the older lap). So a popper that finds its cell past its lap knows another popper
 * consumed its position, and a pusher that finds its cell past its lap knows its position was poisoned.
 *
 * Memory ordering. JS Atomics are sequentially consistent and an atomic read that sees an atomic write
 * synchronises with it. VALUE is written with a plain store between the CAS to WRITING and the CAS to FULL,
 * and read with a plain load after an atomic load sees FULL: the CAS to FULL publishes it. A popper or
 * revoker whose plain read races with a later lap's writer may read anything, but then its CAS from the
 * stale SEQ fails and the value is discarded. Positions wrap at 2^32: a CAS could be fooled only by a worker
 * stalled between its load and its CAS while 2^32 further positions pass through the ring (ABA bound).
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

/** The smallest capacity: the five states of a lap must not alias the next lap. */
export const MIN_RING_CAPACITY = 8;

/** pushOnce results. */
export const PUSHED = 0;
export const FULL_RING = 1;
/** Lost a race (another pusher, or a poisoned position): try again, here or elsewhere. */
export const RETRY = 2;
/** The cell is still busy with an older lap whose owner is late: spin, then call again with `force`. */
export const STALLED = 3;

/** popOnce results besides an item (>= 0) and EMPTY (-1). */
export const POP_RETRY = -2;
export const POP_STALLED = -3;

/** How long a popper that owns a position waits for an ABANDONED cell's writer to release it. */
const ABANDONED_SPINS = 64;

/** How long a popper that owns a position waits for a WRITING cell before giving up on the writer. */
const WRITE_SPINS = 4096;

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

/**
 * One attempt to push `item`. `handle` is the word index of the item's revocation handle, or -1: while the
 * cell is WRITING, the cell's number + 1 is stored there (0 stays "in no cell").
 */
export function pushOnce(
  i32: Int32Array,
  q: number,
  capacity: number,
  item: number,
  handle: number,
  force: boolean,
): number {
  // TAIL and SEQ are read plainly: they are hints. The CAS on TAIL checks t, fillOwned's CAS on SEQ checks
  // seq (and is what orders this push after the popper that freed the cell); a stale hint costs a failed CAS.
  const t = i32[q + TAIL];
  const cell = cellOf(q, t, capacity);
  const seq = i32[cell];
  const lag = (t - seq) | 0;
  if (lag > 0) {
    // The cell still holds an older lap. Full when that lap's item was not popped; else its popper is late.
    // (HEAD is read only here, so a pusher does not pull the consumers' cache line in the common case.)
    if (((t - Atomics.load(i32, q + HEAD)) | 0) >= capacity) return FULL_RING;
    // An ABANDONED cell of an older lap waits for a writer at least a lap late (or terminated): claim the
    // position at once, fillOwned gives it up.
    if (!force && (-lag & (capacity - 1)) !== ABANDONED) return STALLED;
  }
  // Lost to another pusher, or lag < 0: the cell is past lap t, so TAIL has passed t and the CAS fails too.
  if (Atomics.compareExchange(i32, q + TAIL, t, (t + 1) | 0) !== t) return RETRY;
  return fillOwned(i32, q, cell, t, capacity, item, handle, seq);
}

/** Pusher(t), owning position t, brings the cell to lap t and writes the item, or gives the position up. */
function fillOwned(
  i32: Int32Array,
  q: number,
  cell: number,
  t: number,
  capacity: number,
  item: number,
  handle: number,
  seq: number, // as read before claiming t: the CASes below check it, so it need not be read again
): number {
  for (; ; seq = Atomics.load(i32, cell)) {
    const ahead = (seq - t) | 0;
    if (ahead === 0) {
      if (Atomics.compareExchange(i32, cell, t, (t + WRITING) | 0) !== t) continue;
      i32[cell + 1] = item;
      if (handle >= 0) Atomics.store(i32, handle, i32[q + PARAM] + (t & (capacity - 1)) + 1);
      if (Atomics.compareExchange(i32, cell, (t + WRITING) | 0, (t + FULL) | 0) === ((t + WRITING) | 0)) {
        return PUSHED;
      }
      // popper(t) gave up on us (ABANDONED) after claiming t: our VALUE store is done, so the cell can serve
      // the next lap. A store: nobody else moves an ABANDONED cell (poppers spin briefly for this store).
      Atomics.store(i32, cell, (t + capacity) | 0);
      return RETRY;
    }
    if (ahead > 0) return RETRY; // poisoned by popper(t): position t is lost, push elsewhere
    const state = ahead & (capacity - 1);
    if (state >= WRITING) return RETRY; // a late writer owns the cell: skip it this lap
    if (state === FULL) {
      // Carry the older lap's item forward to lap t: it stays in the ring, our own item goes elsewhere.
      if (Atomics.compareExchange(i32, cell, seq, (t + FULL) | 0) === seq) return RETRY;
    } else {
      Atomics.compareExchange(i32, cell, seq, t);
    }
  }
}

/** One attempt to pop: an item, EMPTY (-1), POP_RETRY or POP_STALLED. */
export function popOnce(i32: Int32Array, q: number, capacity: number, force: boolean): number {
  // HEAD is a hint (the CAS on HEAD checks it); SEQ is loaded atomically: seeing FULL is what makes the
  // pusher's plain store to VALUE visible to the plain load of VALUE in takeOwned.
  const h = i32[q + HEAD];
  const cell = cellOf(q, h, capacity);
  const seq = Atomics.load(i32, cell);
  const ahead = (seq - h) | 0;
  // A FULL or REVOKED cell of lap h proves TAIL > h: claim it without reading TAIL (the producers' line).
  if (ahead !== FULL && ahead !== REVOKED) {
    if (ahead > ABANDONED) return POP_RETRY; // the cell is past lap h: another popper took position h
    // HEAD never passes TAIL (a popper claims h only after seeing TAIL > h), so TAIL == h means empty.
    if (((Atomics.load(i32, q + TAIL) - h) | 0) <= 0) return -1;
    // pusher(h), or an older lap's owner, is mid-operation; but nobody fills an ABANDONED cell: skip it.
    if (!force && (ahead & (capacity - 1)) !== ABANDONED) return POP_STALLED;
  }
  if (Atomics.compareExchange(i32, q + HEAD, h, (h + 1) | 0) !== h) return POP_RETRY;
  return takeOwned(i32, cell, h, capacity, seq);
}

/** Popper(h), owning position h, takes the cell's item, skips a revoked one, or poisons a stalled push. */
function takeOwned(i32: Int32Array, cell: number, h: number, capacity: number, seq: number): number {
  const next = (h + capacity) | 0;
  let spins = 0;
  for (; ; seq = Atomics.load(i32, cell)) {
    const ahead = (seq - h) | 0;
    if (ahead > ABANDONED) return POP_RETRY; // moved on: a later pusher took over; nothing at h
    const state = ahead & (capacity - 1);
    if (state === FULL) {
      const item = i32[cell + 1] >>> 0;
      if (Atomics.compareExchange(i32, cell, seq, next) === seq) return item;
    } else if (state === WRITING) {
      // A late writer: after spinning, give position h up; its CAS to FULL will then fail.
      if (++spins > WRITE_SPINS && Atomics.compareExchange(i32, cell, seq, (seq + 1) | 0) === seq) {
        return POP_RETRY;
      }
    } else if (state === ABANDONED) {
      // An older lap's writer, given up on, owns the cell until its release store (next instruction but
      // one, unless it was terminated). Wait briefly so that the release is seen and position h poisoned
      // below, rather than left to pusher(h) with nobody to pop it; then give position h up.
      if (++spins > ABANDONED_SPINS) return POP_RETRY;
    } else {
      Atomics.compareExchange(i32, cell, seq, next); // FREE: poison the stalled push; REVOKED: skip it
    }
  }
}

/**
 * Revokes `item` from the cell of position index `index` (the cell number a push recorded) of the ring: true if it was there (FULL) and this call removed it, false
 * if the cell holds something else (a consumer took the item).
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

/** Positions pushed and not yet popped (revoked items included): exact when quiescent. */
export function ringSize(i32: Int32Array, q: number): number {
  const size = (Atomics.load(i32, q + TAIL) - Atomics.load(i32, q + HEAD)) | 0;
  return Math.max(size, 0);
}
