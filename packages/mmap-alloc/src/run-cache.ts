/**
 * The run cache: a few slots of recently freed large runs, kept mapped so that a request they fit reuses one
 * without a trip through the address space's lock (mapping and unmapping take it, and may zero every page).
 * A malloc's large blocks park here what they free and look here before they map (elfmalloc's large blocks,
 * bsalloc's large blocks).
 *
 * The slots are Int32 words that the caller places in its own shared state (its heap root), at an i32 index
 * it passes to every call; the cache keeps no view and no pointer of its own, and never writes into a run:
 * ```
 *  slot k, two words at at + 2k:
 *  +--------------------------------------------+------------------------------------------+
 *  | run: the parked run's address               | bytes: the run's length (what a fit      |
 *  |      0 = empty, RESERVED = being written   |        is judged on), valid while `run`  |
 *  |      or read by one caller                  |        holds an address                  |
 *  +--------------------------------------------+------------------------------------------+
 * ```
 * Order of operations: a caller writes a slot's `bytes` only while it holds the slot RESERVED, which it gets by
 * one compare-exchange of `run` (from 0 to park, from the run to take), and gives up by storing the new `run`
 * (a run, or 0). So `bytes` always belongs to the run in `run`: a taker that claimed a run reads its length
 * again once the slot is its own, since the slot may have been emptied and refilled with another run at the
 * same address between its first look and its claim. A caller terminated while it holds a slot RESERVED leaves
 * that slot out of use (and the run it was parking or taking lost); every other slot stays consistent.
 *
 * @module
 */

/** The `run` word of a slot held by one caller for a moment. */
const RESERVED = -1;

/**
 * A cache of recently freed large runs of pages, in `slots` slots of two Int32 words in shared memory: see the
 * module's comment for the layout. One instance describes the cache's shape; it holds no memory, so one
 * instance serves every cache of that shape, and each call names the view and the slots it works on.
 *
 * A run fits a request of `bytes` when it holds them and at most twice as many by default: a larger run
 * would waste more than a fresh mapping of the request.
 *
 * @example
 * ```ts
 * const cache = new RunCache(8);
 * const at = space.map(4096) >>> 2;                // cache.words zeroed words in the caller's shared state
 * cache.offer(space.i32, at, run, 64 << 10);       // 0: parked
 * cache.take(space.i32, at, 48 << 10);             // run: 64 KiB holds 48 KiB and is at most twice that
 * ```
 */
export class RunCache {
  /** The Int32 words the slots take: two per slot. */
  readonly words: number;

  /**
   * @param slots the number of slots.
   * @throws RangeError naming `slots` unless it is an integer from 1 to 2^16.
   */
  constructor(readonly slots: number) {
    if (!(Number.isInteger(slots) && slots >= 1 && slots <= 65536)) {
      throw new RangeError(`slots must be an integer from 1 to 65536; got ${slots}`);
    }
    this.words = 2 * slots;
  }

  /**
   * Takes a parked run of `bytes` to `most` bytes whose address is a multiple of `align`, for this caller
   * alone, and empties its slot.
   * @returns the run's address; 0 when no parked run fits; or `-run` when it claimed the parked run `run`
   *   that, once claimed, no longer fits (its slot was refilled with another run at the same address between
   *   the check and the claim): the caller owns that run, gives it back, and calls again.
   */
  take(i32: Int32Array, at: number, bytes: number, align = 1, most = 2 * bytes): number {
    for (let w = at; w < at + this.words; w += 2) {
      const word = Atomics.load(i32, w);
      if (word === 0 || word === RESERVED) continue;
      const run = word >>> 0;
      if (!fits(run, Atomics.load(i32, w + 1) >>> 0, bytes, align, most)) continue;
      if (Atomics.compareExchange(i32, w, word, RESERVED) !== word) continue;
      const length = Atomics.load(i32, w + 1) >>> 0;
      Atomics.store(i32, w, 0);
      return fits(run, length, bytes, align, most) ? run : -run;
    }
    return 0;
  }

  /**
   * Parks the run `run` of `bytes` (the caller's to give: freed, not in the cache) in an empty slot. When every
   * slot is full, it is refused, unless `victims` names a counter word: the run then replaces the one in the
   * slot the counter names next (round robin), so the cache holds the runs freed last rather than ones that no
   * longer fit anything; a victim slot another caller holds at that instant refuses the run instead.
   * @returns the run the caller must give back now: 0 when the cache kept `run` and evicted none, `run` itself
   *   when it was refused, or the run it evicted.
   */
  offer(i32: Int32Array, at: number, run: number, bytes: number, victims = -1): number {
    for (let w = at; w < at + this.words; w += 2) {
      if (Atomics.load(i32, w) === 0 && Atomics.compareExchange(i32, w, 0, RESERVED) === 0) {
        park(i32, w, run, bytes);
        return 0;
      }
    }
    if (victims < 0) return run;
    const w = at + 2 * ((Atomics.add(i32, victims, 1) >>> 0) % this.slots);
    const evicted = Atomics.load(i32, w);
    if (evicted === RESERVED || Atomics.compareExchange(i32, w, evicted, RESERVED) !== evicted) return run;
    park(i32, w, run, bytes);
    return evicted >>> 0;
  }

  /**
   * Empties slot `slot` (0 to `slots - 1`) for a flush: the run it held, now the caller's to give back; 0 when
   * it held none, or when another caller took or held it at that instant.
   */
  empty(i32: Int32Array, at: number, slot: number): number {
    const w = at + 2 * slot;
    const word = Atomics.load(i32, w);
    if (word === 0 || word === RESERVED) return 0;
    return Atomics.compareExchange(i32, w, word, 0) === word ? word >>> 0 : 0;
  }

  /** The run parked in slot `slot`, or 0 (for audits and statistics, which read a quiet cache). */
  runAt(i32: Int32Array, at: number, slot: number): number {
    const word = Atomics.load(i32, at + 2 * slot);
    return word === RESERVED ? 0 : word >>> 0;
  }

  /** The length in bytes of the run parked in slot `slot` (meaningful while {@link RunCache.runAt} is not 0). */
  bytesAt(i32: Int32Array, at: number, slot: number): number {
    return Atomics.load(i32, at + 2 * slot + 1) >>> 0;
  }
}

/** Fills the slot at `w`, which this caller holds RESERVED: the length first, then the run publishes it. */
function park(i32: Int32Array, w: number, run: number, bytes: number): void {
  Atomics.store(i32, w + 1, bytes | 0);
  Atomics.store(i32, w, run | 0);
}

/** Whether a run at `run` of `length` bytes holds `bytes` to `most` bytes and is aligned to `align`. */
function fits(run: number, length: number, bytes: number, align: number, most: number): boolean {
  return run % align === 0 && length >= bytes && length <= most;
}
