/**
 * Bonwick's three slab lists, doubly linked through words of the slab headers (see geometry.ts).
 *
 * ```
 *  partial -> [h] <-> [h] <-> ...   some objects free: allocation pops from the head slab (the current slab)
 *  full    -> [h] <-> ...           no object free
 *  empty   -> [h] <-> ... <-> [h]   every object free, kept for the working set; released from the tail
 *
 *  header h:  NEXT = next header (0 at the end), PREV = previous header (0 at the head), LIST = its list
 * ```
 *
 * @module
 */
import { Header, SlabList } from "./geometry.js";

// Module-local copies: these run on the hot path when a slab fills or empties.
const { NEXT, PREV, LIST } = Header;
const { PARTIAL, FULL, EMPTY } = SlabList;

/**
 * The heads of the three lists (header addresses, 0 for none), the empty list's tail, and the link
 * operations. `SlabAlloc` extends this class so that the heads are fields of the allocator itself: its hot path
 * reads the partial head with one load, as any field of its own, not through another object. Each operation takes the
 * allocator's current `u32` view, which the caller already holds.
 */
export class SlabLists {
  /** Head of the partial list: the slab `alloc` takes from. */
  protected partial = 0;
  protected full = 0;
  protected emptyHead = 0;
  /** The empty list's tail: its longest-empty slab, released first. */
  protected emptyTail = 0;

  /** The head of `list` (one of {@link SlabList}). */
  protected head(list: number): number {
    return list === PARTIAL ? this.partial : list === FULL ? this.full : this.emptyHead;
  }

  /** Moves slab `h` from list `from` to the head of list `to`. */
  protected move(u32: Uint32Array, h: number, from: number, to: number): void {
    this.unlink(u32, h, from);
    this.push(u32, h, to);
  }

  /** Pushes `h` at the head of `list` (the empty list also tracks its tail, where release starts). */
  protected push(u32: Uint32Array, h: number, list: number): void {
    const w = h >>> 2;
    const head = this.head(list);
    u32[w + NEXT] = head;
    u32[w + PREV] = 0;
    u32[w + LIST] = list;
    if (head !== 0) u32[(head >>> 2) + PREV] = h;
    else if (list === EMPTY) this.emptyTail = h;
    this.#setHead(list, h);
  }

  /** Takes `h` out of `list`. */
  protected unlink(u32: Uint32Array, h: number, list: number): void {
    const w = h >>> 2;
    const next = u32[w + NEXT];
    const prev = u32[w + PREV];
    if (prev !== 0) u32[(prev >>> 2) + NEXT] = next;
    else this.#setHead(list, next);
    if (next !== 0) u32[(next >>> 2) + PREV] = prev;
    else if (list === EMPTY) this.emptyTail = prev;
  }

  #setHead(list: number, h: number): void {
    if (list === PARTIAL) this.partial = h;
    else if (list === FULL) this.full = h;
    else this.emptyHead = h;
  }
}

/** The slabs of the list whose head is `head`, counting at most `limit + 1` (so a cyclic list still ends). */
export function listLength(u32: Uint32Array, head: number, limit: number): number {
  let count = 0;
  for (let h = head; h !== 0 && count <= limit; h = u32[(h >>> 2) + NEXT]) count++;
  return count;
}
