/**
 * The working-set policy that decides when empty slabs go back to the address space (Bonwick §5, and the
 * Rust crate's `WorkingSet`).
 *
 * Empty slabs are kept, with their constructed objects, because a program that just freed many objects will
 * often allocate as many again. The policy tracks the smallest number of empty slabs seen during a window of
 * time: that many slabs were not needed during the whole window, so when the window has elapsed they are
 * released, and a new window starts. A slab must therefore stay unused for a full window before it is
 * released, and a program that cycles through its slabs keeps them all.
 *
 * Unlike the Rust crate, which only looked at the clock when a slab became empty, the owner can also apply
 * the policy at any time (`SlabAlloc.reclaim()`, say from an idle callback); a window of 0 releases a slab as
 * soon as it is empty.
 *
 * @module
 */

/** The minimum number of empty slabs over a window of time. */
export class WorkingSet {
  #windowStart: number;
  #minEmpty = 0;

  /**
   * @param windowMs the window's length in milliseconds (0: release at once, `Infinity`: never).
   * @param now the clock, in milliseconds.
   */
  constructor(
    readonly windowMs: number,
    readonly now: () => number,
  ) {
    this.#windowStart = now();
  }

  /** Records that the number of empty slabs dropped to `emptySlabs`. */
  taken(emptySlabs: number): void {
    if (emptySlabs < this.#minEmpty) this.#minEmpty = emptySlabs;
  }

  /**
   * How many of the `emptySlabs` empty slabs to release now: 0 while the window runs, otherwise the minimum
   * of the elapsed window (after which a new window starts with the slabs that are kept).
   */
  due(emptySlabs: number): number {
    if (this.windowMs === 0) return emptySlabs;
    const now = this.now();
    if (!(now - this.#windowStart >= this.windowMs)) return 0;
    const release = Math.min(this.#minEmpty, emptySlabs);
    this.#windowStart = now;
    this.#minEmpty = emptySlabs - release;
    return release;
  }
}
