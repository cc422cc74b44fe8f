/**
 * The pointer map of large slabs: page number -> address of the slab's out-of-line header.
 *
 * Every page of a large slab is registered, so any pointer into the slab finds its header with one lookup
 * (`ptr >>> pageShift`), whatever the object size. The Rust crate keyed by page below the page size and by
 * object above; keying by page always keeps one scheme, and the interior-pointer check is done by the
 * geometry instead of by the absence of a key.
 *
 * Open addressing with linear probing in two typed arrays, at most half full. Deletion shifts the following
 * entries of the cluster back (Knuth's algorithm R) instead of leaving tombstones, so lookups stay short after
 * any number of deletions (the Rust map's coalescing on delete never ran, see the reference notes §5).
 *
 * ```
 * keys:   | page+1 | 0 | page+1 | page+1 | 0 | ...   (0 = empty slot)
 * values: | header | - | header | header | - | ...
 * ```
 *
 * @module
 */

const MIN_CAPACITY = 64;

/** A hash map from page numbers (below 2^32 - 1) to non-zero u32 values, with no allocation per lookup. */
export class PageMap {
  #keys = new Uint32Array(MIN_CAPACITY);
  #values = new Uint32Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #shift = 32 - Math.log2(MIN_CAPACITY);
  #size = 0;

  /** Entries in the map. */
  get size(): number {
    return this.#size;
  }

  /** The value of `page`, or 0 when it has none. */
  get(page: number): number {
    const keys = this.#keys;
    const key = page + 1;
    for (let i = slotOf(key, this.#shift); ; i = (i + 1) & this.#mask) {
      const k = keys[i];
      if (k === key) return this.#values[i];
      if (k === 0) return 0;
    }
  }

  /** Sets the value of `page` (non-zero). */
  set(page: number, value: number): void {
    if (2 * (this.#size + 1) > this.#keys.length) this.#resize(this.#keys.length * 2);
    const key = page + 1;
    let i = slotOf(key, this.#shift);
    while (this.#keys[i] !== 0 && this.#keys[i] !== key) i = (i + 1) & this.#mask;
    if (this.#keys[i] === 0) this.#size++;
    this.#keys[i] = key;
    this.#values[i] = value;
  }

  /** Removes `page`; does nothing when absent. */
  delete(page: number): void {
    const keys = this.#keys;
    const mask = this.#mask;
    const key = page + 1;
    let hole = slotOf(key, this.#shift);
    while (keys[hole] !== key) {
      if (keys[hole] === 0) return;
      hole = (hole + 1) & mask;
    }
    // Shift back every later entry of the cluster whose home slot is not between the hole and itself.
    for (let i = (hole + 1) & mask; keys[i] !== 0; i = (i + 1) & mask) {
      const home = slotOf(keys[i], this.#shift);
      const reachable = hole <= i ? home > hole && home <= i : home > hole || home <= i;
      if (reachable) continue;
      keys[hole] = keys[i];
      this.#values[hole] = this.#values[i];
      hole = i;
    }
    keys[hole] = 0;
    this.#size--;
    if (this.#keys.length > MIN_CAPACITY && 8 * this.#size < this.#keys.length) {
      this.#resize(this.#keys.length / 2);
    }
  }

  /** Calls `visit(page, value)` for every entry. */
  forEach(visit: (page: number, value: number) => void): void {
    for (let i = 0; i < this.#keys.length; i++)
      if (this.#keys[i] !== 0) visit(this.#keys[i] - 1, this.#values[i]);
  }

  #resize(capacity: number): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Uint32Array(capacity);
    this.#values = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#shift = 32 - Math.log2(capacity);
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i] - 1, values[i]);
  }
}

/**
 * Fibonacci hashing: multiplies by 2^32 / phi and keeps the top `32 - shift` bits (the slot index), which
 * spreads consecutive pages over the table.
 */
function slotOf(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}
