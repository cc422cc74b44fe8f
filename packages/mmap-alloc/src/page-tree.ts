/**
 * The page tree: which pages of the address space are free, as a segment tree that finds the leftmost free run
 * of `n` pages and marks a range used or free in O(log pages).
 *
 * @module
 */

/**
 * Words per node. Node `k` (1 is the root, `2k` and `2k + 1` its children; node 0 is unused) occupies
 * `m[base + 4k .. base + 4k + 3]`:
 * ```
 * +----------+----------+----------+-----+
 * | max gap  | pre gap  | suf gap  | tag |     gap = pages covered - free pages of that kind
 * +----------+----------+----------+-----+
 *   max: longest free run in the node, pre: free run starting at its first page, suf: ending at its last page
 *   tag: 0 = children are current, FREE / USED = the whole node was set so and its children are stale
 * ```
 * Storing gaps rather than lengths makes an all-zero tree an all-free one, so a fresh buffer needs no
 * initialisation and only the pages that get used are ever written.
 */
export const NODE_WORDS = 4;
const MAX = 0;
const PRE = 1;
const SUF = 2;
const TAG = 3;
const FREE = 1;
const USED = 2;

/** The number of Int32 words a tree over `leaves` pages (a power of two) occupies. */
export function treeWords(leaves: number): number {
  return 2 * leaves * NODE_WORDS;
}

/**
 * A segment tree over `leaves` pages stored at word `base` of an Int32Array. It holds no reference to the
 * array: each call takes the current one, because a `WebAssembly.Memory` changes its buffer when it grows.
 *
 * Crash safety: {@link PageTree.assign} only overwrites node words with values computed from its arguments and
 * from children it already wrote, so running the same `assign` again with `full` after an interruption at any
 * instruction leaves the tree exactly as one uninterrupted run would (pushes write children before clearing
 * the parent's tag; every node on the two boundary paths is recomputed on the way back up). The address
 * space's redo log relies on this.
 */
export class PageTree {
  /** log2(leaves): the height of the root. */
  readonly height: number;

  constructor(
    /** Word index of node 0. */
    readonly base: number,
    /** Pages covered: a power of two. */
    readonly leaves: number,
  ) {
    this.height = Math.log2(leaves);
  }

  /** The longest free run, in pages. */
  largestFree(m: Int32Array): number {
    return this.leaves - m[this.base + NODE_WORDS + MAX];
  }

  /** The first page of the leftmost free run of at least `want` pages, or -1. Reads only. */
  findFirst(m: Int32Array, want: number): number {
    const base = this.base;
    let node = 1;
    let lo = 0;
    let len = this.leaves;
    if (len - m[base + NODE_WORDS + MAX] < want) return -1;
    // Invariant: the leftmost fitting run lies inside `node`. A node that is wholly free answers at once
    // (this also covers a FREE tag, whose children are stale and must not be read).
    while (len > 1 && m[base + node * NODE_WORDS + MAX] !== 0) {
      const half = len >>> 1;
      const left = base + 2 * node * NODE_WORDS;
      const right = left + NODE_WORDS;
      if (half - m[left + MAX] >= want) {
        node = 2 * node;
      } else {
        const leftSuffix = half - m[left + SUF];
        if (leftSuffix + half - m[right + PRE] >= want) return lo + half - leftSuffix;
        node = 2 * node + 1;
        lo += half;
      }
      len = half;
    }
    return lo;
  }

  /**
   * Marks pages `[start, start + count)` used or free, bottom-up without recursion (the lazy segment tree of
   * AtCoder's library): push the tags down both boundary paths, top first; set the O(log) nodes that tile the
   * range; recompute both boundary paths, bottom first. Leaf `k` is node `leaves + k`.
   *
   * Above the highest tiling node, every node that changes is on a boundary path, so once the path nodes of
   * one height all keep their values, no ancestor can change and the update stops there. A replay after an
   * interruption passes `full`: ancestors may then be stale from the interrupted run, and all are recomputed.
   */
  assign(m: Int32Array, start: number, count: number, used: boolean, full = false): void {
    if (count <= 0) return;
    const base = this.base;
    const height = this.height;
    const l = start + this.leaves;
    const r = l + count;
    for (let h = height; h >= 1; h--) {
      const left = l >> h;
      const right = (r - 1) >> h;
      const cutLeft = left << h !== l;
      if (cutLeft) push(m, base, left, h);
      if ((r >> h) << h !== r && !(cutLeft && right === left)) push(m, base, right, h);
    }
    let top = 0;
    for (let a = l, b = r, h = 0; a < b; a >>= 1, b >>= 1, h++) {
      if (a & 1) setWhole(m, base, a++, h, used);
      if (b & 1) setWhole(m, base, --b, h, used);
      top = h;
    }
    for (let h = 1; h <= height; h++) {
      const left = l >> h;
      const right = (r - 1) >> h;
      const cutLeft = left << h !== l;
      let changed = false;
      if (cutLeft) changed = pull(m, base, left, h);
      if ((r >> h) << h !== r && !(cutLeft && right === left)) changed = pull(m, base, right, h) || changed;
      if (!changed && !full && h > top) return;
    }
  }

  /** True when every page of `[start, start + count)` is free. */
  isFree(m: Int32Array, start: number, count: number): boolean {
    return this.#all(m, 1, 0, this.leaves, start, start + count, FREE);
  }

  /** True when every page of `[start, start + count)` is used. */
  isUsed(m: Int32Array, start: number, count: number): boolean {
    return this.#all(m, 1, 0, this.leaves, start, start + count, USED);
  }

  /** Writes 1 in `out[page]` for every used page (out has `leaves` entries) and reports inconsistent nodes. */
  collect(m: Int32Array, out: Uint8Array, problems: string[]): void {
    this.#collect(m, 1, 0, this.leaves, out, problems);
  }

  #all(m: Int32Array, node: number, lo: number, len: number, l: number, r: number, kind: number): boolean {
    if (r <= lo || lo + len <= l) return true;
    const i = this.base + node * NODE_WORDS;
    const gap = m[i + MAX];
    if (gap === 0) return kind === FREE;
    if (gap === len) return kind === USED;
    if (l <= lo && lo + len <= r) return false;
    const half = len >>> 1;
    return (
      this.#all(m, 2 * node, lo, half, l, r, kind) && this.#all(m, 2 * node + 1, lo + half, half, l, r, kind)
    );
  }

  #collect(m: Int32Array, node: number, lo: number, len: number, out: Uint8Array, problems: string[]): void {
    const i = this.base + node * NODE_WORDS;
    const tag = m[i + TAG];
    if (len === 1 || tag !== 0) {
      const gap = m[i + MAX];
      const whole = gap === 0 || gap === len;
      if (!whole || m[i + PRE] !== gap || m[i + SUF] !== gap || (len === 1 && tag !== 0)) {
        problems.push(`page tree node ${node} (pages ${lo}..${lo + len - 1}) is inconsistent`);
      }
      if (gap !== 0) out.fill(1, lo, lo + len);
      return;
    }
    const half = len >>> 1;
    this.#collect(m, 2 * node, lo, half, out, problems);
    this.#collect(m, 2 * node + 1, lo + half, half, out, problems);
    const expected = new Int32Array(3);
    combine(m, this.base, node, len, expected, 0);
    if (expected[0] !== m[i + MAX] || expected[1] !== m[i + PRE] || expected[2] !== m[i + SUF]) {
      problems.push(`page tree node ${node} (pages ${lo}..${lo + len - 1}) disagrees with its children`);
    }
  }
}

/** Sets node `node` (of height `h`: 2^h pages) wholly used or free, tagging it when it has children. */
function setWhole(m: Int32Array, base: number, node: number, h: number, used: boolean): void {
  const i = base + node * NODE_WORDS;
  const gap = used ? 1 << h : 0;
  m[i + MAX] = gap;
  m[i + PRE] = gap;
  m[i + SUF] = gap;
  m[i + TAG] = h > 0 ? (used ? USED : FREE) : 0;
}

/** Hands the tag of `node` (height `h`) to its children: children first, then the tag is cleared. */
function push(m: Int32Array, base: number, node: number, h: number): void {
  const tag = m[base + node * NODE_WORDS + TAG];
  if (tag === 0) return;
  setWhole(m, base, 2 * node, h - 1, tag === USED);
  setWhole(m, base, 2 * node + 1, h - 1, tag === USED);
  m[base + node * NODE_WORDS + TAG] = 0;
}

/** Recomputes `node` (height `h`) from its children; true when its values changed. */
function pull(m: Int32Array, base: number, node: number, h: number): boolean {
  const i = base + node * NODE_WORDS;
  const max = m[i + MAX];
  const pre = m[i + PRE];
  const suf = m[i + SUF];
  combine(m, base, node, 1 << h, m, i);
  return m[i + MAX] !== max || m[i + PRE] !== pre || m[i + SUF] !== suf;
}

/** Computes the three gaps of `node` (covering `len` pages) from its children into `out[at ..]`. */
function combine(m: Int32Array, base: number, node: number, len: number, out: Int32Array, at: number): void {
  const half = len >>> 1;
  const left = base + 2 * node * NODE_WORDS;
  const right = left + NODE_WORDS;
  const leftPre = half - m[left + PRE];
  const leftSuf = half - m[left + SUF];
  const rightPre = half - m[right + PRE];
  const rightSuf = half - m[right + SUF];
  const pre = leftPre === half ? half + rightPre : leftPre;
  const suf = rightSuf === half ? half + leftSuf : rightSuf;
  const max = Math.max(half - m[left + MAX], half - m[right + MAX], leftSuf + rightPre);
  out[at + MAX] = len - max;
  out[at + PRE] = len - pre;
  out[at + SUF] = len - suf;
}
