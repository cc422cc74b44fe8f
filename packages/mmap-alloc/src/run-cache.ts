/**
 * The run cache: a few slots of recently freed large runs, kept mapped so that a request they fit reuses one
 * without a trip through the address space's lock (mapping and unmapping take it, and may zero every page).
 * A malloc's large blocks park here what they free and look here before they map (elfmalloc's large blocks,
 * bsalloc's large blocks).
 *
 * The slots are `slots` Int32 words that the caller places in its own shared state (its heap root), at an
 * i32 index it passes to every call; the cache keeps no view and no pointer of its own:
 * ```
 *  i32[at + 0 .. at + slots - 1]: a parked run's address (0 = empty slot)
 *  run (parked):  +0 the run's length in bytes, written by offer before the slot publishes the run
 * ```
 * A parked run belongs to the cache, so it keeps the run's length in the run's own first word: the callers
 * may read the slots as plain addresses (their checks and statistics do), and the cache needs no word of
 * theirs. What a run is (where its mapping starts, what bookkeeping marks it parked) stays the caller's.
 *
 * Concurrency: a slot changes only by compare-exchange or exchange, so of two workers taking one run exactly
 * one gets it. A taker checks a run's length before claiming its slot, and again once it owns the run: the
 * slot may have been emptied and refilled with another run at the same address in between (a run freed,
 * reused, resized and freed again), whose length is the one that counts. A worker terminated after claiming
 * a run loses that one run (it stays mapped); the slots stay consistent.
 *
 * @module
 */

/** Where a {@link RunCache} is: the i32 index of its first slot word. */
type SlotsIndex = number;

/**
 * A cache of recently freed large runs of pages, in `slots` slot words of shared memory: see the module's
 * comment for the layout. One instance describes the cache's shape; it holds no memory, so one instance
 * serves every cache of that shape, and each call names the view and the slots it works on.
 *
 * A run fits a request of `bytes` when it holds them and at most twice as many by default: a larger run
 * would waste more than a fresh mapping of the request.
 *
 * @example
 * ```ts
 * const cache = new RunCache(8);
 * const slots = space.map(4096) >>> 2;             // 8 slot words in the caller's own shared state
 * cache.offer(space.i32, slots, run, 64 << 10);    // 0: parked
 * cache.take(space.i32, slots, 48 << 10);          // run: 64 KiB holds 48 KiB and is at most twice that
 * ```
 */
export class RunCache {
  /**
   * @param slots the number of slot words.
   * @throws RangeError naming `slots` unless it is an integer from 1 to 2^16.
   */
  constructor(readonly slots: number) {
    if (!(Number.isInteger(slots) && slots >= 1 && slots <= 65536)) {
      throw new RangeError(`slots must be an integer from 1 to 65536; got ${slots}`);
    }
  }

  /**
   * Takes a parked run of `bytes` to `most` bytes whose address is a multiple of `align`, for this caller
   * alone, and empties its slot.
   * @returns the run's address; 0 when no parked run fits; or `-run` when it claimed the parked run `run`
   *   that, once claimed, no longer fits (its slot was refilled with another run at the same address between
   *   the check and the claim): the caller owns that run, gives it back, and calls again.
   */
  take(i32: Int32Array, at: SlotsIndex, bytes: number, align = 1, most = 2 * bytes): number {
    for (let slot = at; slot < at + this.slots; slot++) {
      const run = Atomics.load(i32, slot) >>> 0;
      if (run === 0 || !fits(i32, run, bytes, align, most)) continue;
      if (Atomics.compareExchange(i32, slot, run | 0, 0) !== (run | 0)) continue;
      return fits(i32, run, bytes, align, most) ? run : -run;
    }
    return 0;
  }

  /**
   * Parks the run `run` of `bytes` (the caller's to give: freed, not in the cache) in an empty slot. When every
   * slot is full, it is refused, unless `victims` names a counter word: the run then replaces the one in the
   * slot the counter names next (round robin), so the cache holds the runs freed last rather than ones that no
   * longer fit anything.
   * @returns the run the caller must give back now: 0 when the cache kept `run` and evicted none, `run` itself
   *   when it was refused, or the run it evicted.
   */
  offer(i32: Int32Array, at: SlotsIndex, run: number, bytes: number, victims = -1): number {
    i32[run >>> 2] = bytes | 0;
    for (let slot = at; slot < at + this.slots; slot++) {
      if (Atomics.load(i32, slot) === 0 && Atomics.compareExchange(i32, slot, 0, run | 0) === 0) return 0;
    }
    if (victims < 0) return run;
    // One exchange: the evicted run leaves the cache and becomes this caller's alone.
    const slot = at + ((Atomics.add(i32, victims, 1) >>> 0) % this.slots);
    return Atomics.exchange(i32, slot, run | 0) >>> 0;
  }

  /** Empties the slot `slot` (0 to `slots - 1`): the run it held, now the caller's to give back, or 0. */
  empty(i32: Int32Array, at: SlotsIndex, slot: number): number {
    return Atomics.exchange(i32, at + slot, 0) >>> 0;
  }
}

/** Whether the parked run `run` holds `bytes` to `most` bytes and is aligned to `align`. */
function fits(i32: Int32Array, run: number, bytes: number, align: number, most: number): boolean {
  const length = i32[run >>> 2] >>> 0;
  return run % align === 0 && length >= bytes && length <= most;
}
