/**
 * The workloads' random numbers: xorshift32, the same generator as `native/glibc-bench.c`, so that the
 * native reference line replays the same sizes and victims as the TypeScript cases.
 *
 * @module
 */

/** A seeded xorshift32 generator; `next()` is plain integer arithmetic, no allocation. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}
