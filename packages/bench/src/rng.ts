/**
 * The workloads' random numbers: xorshift32, the same generator as `native/glibc-bench.c`, so that the
 * native reference line replays the same sizes and victims as the TypeScript cases.
 *
 * @module
 */

/**
 * A seeded xorshift32 generator; `next()` is plain integer arithmetic, no allocation. The state is kept as a
 * signed 32-bit integer: stored unsigned, values above 2^31 would not fit V8's small integers and every call
 * would allocate a heap number, whose garbage the workloads would then measure.
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed | 0 || 0x9e3779b9 | 0;
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x;
    return x >>> 0;
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
