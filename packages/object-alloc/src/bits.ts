/**
 * Bit tricks on 32-bit words, the vocabulary of every bit-set in the suite (slab bit-sets, available-slab
 * sets, bootstrap segments, medium chunks). Each is a few arithmetic operations on a `number`: no allocation,
 * no `BigInt`, small enough for V8 to inline into a hot loop.
 *
 * Words are read as unsigned 32-bit patterns: a word with bit 31 set may arrive as a negative `Int32Array`
 * element, and every function here treats it the same as the unsigned value.
 *
 * @module
 */

/** The number of set bits of a 32-bit word. */
export function popcount(word: number): number {
  word -= (word >>> 1) & 0x55555555;
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
  return (((word + (word >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The index (0-31) of the lowest set bit of `word`; -1 when `word` is 0. */
export function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/** The index (0-31) of the highest set bit of `word` (the floor of its base-2 logarithm); -1 when it is 0. */
export function highestBit(word: number): number {
  return 31 - Math.clz32(word);
}

/**
 * The smallest power of two at least `n` (1 for `n <= 1` and for NaN). Exact for every `n` up to 2^32, whose
 * answers are at most 2^32; above, as exact as `Math.log2`.
 */
export function nextPowerOfTwo(n: number): number {
  if (!(n > 1)) return 1;
  // clz32 truncates its argument: round up first, so that 2.5 gives 4, not 2.
  if (n <= 2 ** 32) return 2 ** (32 - Math.clz32(Math.ceil(n) - 1));
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Clears the lowest set bit of the shared word `i32[index]` for this caller alone and returns its index, or
 * -1 when the word has no set bit. Lock-free: `Atomics.and` clears one chosen bit, and the caller owns it only
 * when the old value shows it was still set (another caller may have cleared it first: then it tries the next).
 */
export function takeLowestBit(i32: Int32Array, index: number): number {
  for (let word = Atomics.load(i32, index); word !== 0; word = Atomics.load(i32, index)) {
    const bit = word & -word;
    if (Atomics.and(i32, index, ~bit) & bit) return lowestBit(bit);
  }
  return -1;
}

/**
 * Sets the lowest clear bit of the shared word `i32[index]` for this caller alone and returns its index, or
 * -1 when every bit is set. Lock-free: a compare-exchange from the value the bit was chosen in, retried with
 * the value another caller left.
 */
export function claimLowestClearBit(i32: Int32Array, index: number): number {
  let word = Atomics.load(i32, index);
  while (~word !== 0) {
    const bit = ~word & (word + 1);
    const seen = Atomics.compareExchange(i32, index, word, word | bit);
    if (seen === word) return lowestBit(bit);
    word = seen;
  }
  return -1;
}
