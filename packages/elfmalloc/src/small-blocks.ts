/**
 * Small blocks (16 B to 128 KiB in size classes): everything below the fast paths' magazines. A thread
 * refills from the slab it has claimed for the class, a word of free bits at a time; acquires another slab
 * when that one is spent; and frees blocks its magazines cannot hold into their slabs, carrying out the slab
 * life-cycle transitions those frees cause (slab.ts decides them on the counts its atomics return).
 *
 * Life of a slab (its page-map entries name it a slab from the first claim until it is unmapped):
 * ```
 * spare / pool / new pages --acquire--> CLAIMED by a thread --scanned to the end, unclaimed--> FLOATING
 *                                         ^  ^  (claimed again at once if enough came back)        |
 *               kept slab of its thread --+  |                                   frees reach the   |
 *                                            +---- taken ---- AVAILABLE (class's set) <-- cutoff: OFFER
 * ```
 * A slab whose blocks are all free (EMPTY: taken back from its set or its thread's kept slots; RELEASE: never
 * offered; or empty when its thread unclaims it) becomes a spare of the thread that freed it, or is parked in
 * the page pools (page-pools.ts). The frees of the thread that last claimed a 16 KiB slab that bring it to
 * the cutoff keep it for that thread (thread-cache.ts) instead of offering it.
 *
 * @module
 */
import { lowestBit, NULL, type Ptr, popcount } from "@allocators/object-alloc";
import { offerSlab, revokeSlab, takeSlab } from "./available-slabs.js";
import type { HandleContext } from "./handle-context.js";
import { R_AVAILABLE, R_RETIRED } from "./heap-root.js";
import { entryIndex, KIND_SLAB, setEntries } from "./page-map.js";
import type { PagePools } from "./page-pools.js";
import { SIZE_CLASSES, type SizeClass, SLAB_SIZES } from "./size-classes.js";
import {
  claim,
  EMPTY,
  freeBlocks,
  freeCount,
  initSlab,
  OFFER,
  RELEASE,
  returnBits,
  STAY,
  setOwner,
  settled,
  takeWord,
  unclaim,
} from "./slab.js";
import {
  BITS,
  CLASS_OFFSETS,
  COUNT,
  ITEMS,
  KEPT,
  KEPT_SLOTS,
  keep,
  keptBase,
  keptClass,
  NEXT_WORD,
  parkSpare,
  popMagazine,
  pushMagazine,
  SLAB,
  SLAB_FREES,
  SPARE_SLOTS,
  SPARES,
  TAKEN,
  takeKept,
  takeSpare,
  unkeep,
} from "./thread-cache.js";

const MAGAZINE_CAPACITY = Int32Array.from(SIZE_CLASSES, (sizeClass) => sizeClass.magazine);
const CLASS_SIZE = Int32Array.from(SIZE_CLASSES, (sizeClass) => sizeClass.size);

/** The small blocks of one heap, seen from one handle. */
export class SmallBlocks {
  readonly #ctx: HandleContext;
  readonly #pools: PagePools;
  /** i32 index of each class's set of available slabs. */
  readonly #available: Int32Array;
  /** Room to sort a magazine's blocks by address before freeing them into slabs. */
  readonly #scratch = new Uint32Array(64);

  constructor(ctx: HandleContext, pools: PagePools) {
    this.#ctx = ctx;
    this.#pools = pools;
    this.#available = Int32Array.from(
      SIZE_CLASSES,
      (sizeClass) => ctx.i32[ctx.rootIndex + R_AVAILABLE + sizeClass.index] >>> 2,
    );
  }

  /** A block of class index `cls`: from the magazine, else from the claimed slab; 0 when out of memory. */
  alloc(cls: number): Ptr {
    const ctx = this.#ctx;
    const at = ctx.rec + CLASS_OFFSETS[cls];
    const ptr = popMagazine(ctx.u32, at);
    return ptr !== NULL ? ptr : this.#allocFromSlab(cls, at);
  }

  /** Frees the block at `ptr` of class index `cls` into this thread's magazine, first halving it if full. */
  free(ptr: Ptr, cls: number): void {
    const ctx = this.#ctx;
    const at = ctx.rec + CLASS_OFFSETS[cls];
    if (ctx.u32[at + COUNT] === MAGAZINE_CAPACITY[cls])
      this.#flushMagazine(cls, at, MAGAZINE_CAPACITY[cls] >>> 1);
    // Through the context again: flushing synced the views.
    pushMagazine(ctx.u32, at, ptr);
  }

  /**
   * Empties the thread record at u32 index `rec` (this thread's, or that of a thread that ended): magazines and
   * private bits back to slabs, slabs let go, kept and spare slabs handed on, counters retired to the root.
   */
  returnCaches(rec: number): void {
    const ctx = this.#ctx;
    ctx.sync();
    const u32 = ctx.u32;
    const i32 = ctx.i32;
    for (const sizeClass of SIZE_CLASSES) {
      const cls = sizeClass.index;
      const at = rec + CLASS_OFFSETS[cls];
      const cached = u32[at + COUNT];
      u32[at + COUNT] = 0;
      this.#freeToSlabs(rec, cls, at + ITEMS, cached);
      const slab = u32[at + SLAB];
      if (slab !== 0) {
        const bits = u32[at + BITS];
        if (bits !== 0) {
          returnBits(i32, slab, sizeClass, u32[at + NEXT_WORD] - 1, bits);
          i32[rec + TAKEN + cls] -= popcount(bits);
        }
        const transition = unclaim(i32, slab, sizeClass);
        if (transition === OFFER) offerSlab(i32, this.#available[cls], slab);
        else if (transition === EMPTY) this.#releaseSlab(slab, sizeClass);
      }
      u32[at + SLAB] = 0;
      u32[at + BITS] = 0;
      u32[at + NEXT_WORD] = 0;
      // Nothing of the class is cached any more: what the record took out of slabs is live.
      const live = i32[rec + TAKEN + cls];
      if (live !== 0) Atomics.add(i32, ctx.rootIndex + R_RETIRED + cls, live);
      i32[rec + TAKEN + cls] = 0;
    }
    // Last: the slabs released above, kept ones included, may have become this thread's spares.
    this.#releaseKept(rec);
    this.#releaseSpares(rec);
  }

  /** A block from the bits this thread took from its claimed slab, refilled as needed; 0 when out of memory. */
  #allocFromSlab(cls: number, at: number): Ptr {
    const ctx = this.#ctx;
    for (;;) {
      const u32 = ctx.u32;
      const bits = u32[at + BITS];
      // `> 0`, not `!== 0`: a stale or detached view reads undefined, which must take the slow path.
      if (bits > 0) {
        u32[at + BITS] = bits & (bits - 1);
        const index = ((u32[at + NEXT_WORD] - 1) << 5) + lowestBit(bits);
        return u32[at + SLAB] + index * CLASS_SIZE[cls];
      }
      if (!this.#refill(SIZE_CLASSES[cls], at)) return NULL;
    }
  }

  /** Takes the next word of free bits from the claimed slab, or claims another slab. False when out of memory. */
  #refill(sizeClass: SizeClass, at: number): boolean {
    const ctx = this.#ctx;
    for (;;) {
      ctx.sync();
      const u32 = ctx.u32;
      const i32 = ctx.i32;
      const slab = u32[at + SLAB];
      if (slab !== 0) {
        for (let w = u32[at + NEXT_WORD]; w < sizeClass.words; w++) {
          const taken = takeWord(i32, slab, sizeClass, w);
          if (taken !== 0) {
            i32[ctx.rec + TAKEN + sizeClass.index] += popcount(taken);
            u32[at + BITS] = taken;
            u32[at + NEXT_WORD] = w + 1;
            return true;
          }
        }
        u32[at + SLAB] = 0;
        // Scanned to the end: unclaimed. When enough blocks came back meanwhile (an offer, or empty), nobody
        // else can have taken it, as it was offered to no one: this thread claims it again.
        if (unclaim(i32, slab, sizeClass) !== STAY) {
          claim(i32, slab, sizeClass.slabBytes);
          u32[at + SLAB] = slab;
          u32[at + NEXT_WORD] = 0;
          continue;
        }
      }
      const fresh = this.#acquireSlab(sizeClass);
      if (fresh === NULL) return false;
      // Through the current views: acquiring may have grown the buffer and detached `u32`.
      ctx.u32[at + SLAB] = fresh;
      ctx.u32[at + NEXT_WORD] = 0;
    }
  }

  /** A kept slab of `sizeClass`, an available one, or a new one on free pages; 0 when out of memory. */
  #acquireSlab(sizeClass: SizeClass): Ptr {
    const ctx = this.#ctx;
    const kept = sizeClass.slabBytes === SLAB_SIZES[0] ? takeKept(ctx, sizeClass) : NULL;
    if (kept !== NULL) return kept;
    const offered = takeSlab(ctx.i32, this.#available[sizeClass.index]);
    // A slab from the available set or a pool may lie beyond this handle's views if another worker grew the
    // heap for it.
    ctx.sync();
    if (offered > 0) {
      if (!claim(ctx.i32, offered, sizeClass.slabBytes))
        throw new Error(`elfmalloc: slab ${offered} was offered while claimed`);
      setOwner(ctx.i32, offered, sizeClass.slabBytes, ctx.slot);
      return offered;
    }
    const base = this.#takePage(sizeClass.slabBytes);
    if (base === NULL) return NULL;
    ctx.sync();
    setEntries(ctx.u32, ctx.map, base, sizeClass.slabBytes, KIND_SLAB, sizeClass.index);
    initSlab(ctx.i32, base, sizeClass, ctx.slot);
    return base;
  }

  /** Pages for a slab of `bytes`: a spare slab of this thread (16 KiB), else from the page pools. */
  #takePage(bytes: number): Ptr {
    if (bytes === SLAB_SIZES[0]) {
      const spare = takeSpare(this.#ctx);
      if (spare !== NULL) return spare;
    }
    return this.#pools.takePage(bytes);
  }

  /**
   * Puts an empty slab among this thread's spares (16 KiB slabs, while a spare slot is free), else in the page
   * pools, once every free that counted itself in it has set its bit.
   */
  #releaseSlab(base: number, sizeClass: SizeClass): void {
    if (!settled(this.#ctx.i32, base, sizeClass)) return;
    if (sizeClass.slabBytes !== SLAB_SIZES[0] || !parkSpare(this.#ctx, base))
      this.#pools.parkPage(base, sizeClass.slabBytes);
  }

  /** Frees the newest `half` blocks of the full magazine of class index `cls` at `at` into their slabs. */
  #flushMagazine(cls: number, at: number, half: number): void {
    const ctx = this.#ctx;
    ctx.sync();
    const u32 = ctx.u32;
    const n = u32[at + COUNT];
    // The newest half leaves the magazine before it is freed: a thread killed in between leaks those blocks,
    // but never leaves a block both in its magazine and free in its slab, which reclaimThread would free twice.
    u32[at + COUNT] = n - half;
    this.#freeToSlabs(ctx.rec, cls, at + ITEMS + n - half, half);
    u32[ctx.rec + SLAB_FREES] += half;
  }

  /**
   * Frees `n` blocks of class index `cls`, listed at u32 index `from`, that the thread record `rec` held, into
   * their slabs. Sorted by address, the blocks of one bit-set word come together and cost one `Atomics.add`
   * and one `Atomics.or` for all of them (the original's coalescing of remote frees).
   */
  #freeToSlabs(rec: number, cls: number, from: number, n: number): void {
    const ctx = this.#ctx;
    ctx.i32[rec + TAKEN + cls] -= n;
    const ptrs = this.#scratch;
    for (let k = 0; k < n; k++) ptrs[k] = ctx.u32[from + k];
    sortAscending(ptrs, n);
    for (let k = 0; k < n; ) {
      const e = entryIndex(ctx.map, ptrs[k]);
      const base = ctx.u32[e] - KIND_SLAB;
      const sizeClass = SIZE_CLASSES[ctx.u32[e + 1]];
      const w = ((ptrs[k] - base) / sizeClass.size) >>> 5;
      let mask = 0;
      let count = 0;
      for (; k < n && ptrs[k] < base + sizeClass.slabBytes; k++) {
        const index = (ptrs[k] - base) / sizeClass.size;
        if (index >>> 5 !== w) break;
        mask |= 1 << (index & 31);
        count++;
      }
      this.#freeWord(base, sizeClass, w, mask, count);
    }
  }

  /**
   * Frees the blocks `mask` of word `w` of a slab. Into this thread's private bits when the word is the one it
   * is allocating from (no atomics: those bits are this thread's alone); else into the slab's bit-set, carrying
   * out the life-cycle transition that caused.
   */
  #freeWord(base: number, sizeClass: SizeClass, w: number, mask: number, count: number): void {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const at = ctx.rec + CLASS_OFFSETS[sizeClass.index];
    if (u32[at + SLAB] === base && u32[at + NEXT_WORD] - 1 === w) {
      u32[at + BITS] |= mask;
      ctx.i32[ctx.rec + TAKEN + sizeClass.index] += count;
      return;
    }
    this.#afterFree(base, sizeClass, freeBlocks(ctx.i32, base, sizeClass, w, mask, count));
  }

  /**
   * Carries out what a free did to the slab's life cycle. An empty slab goes back to the pages only if this
   * thread revokes its offer (or had kept it): when the revoke fails, another thread took the slab and will
   * allocate from it, or the free that offered it has not offered it yet and will (an empty slab then waits in
   * the available set for its class instead of in the pool).
   */
  #afterFree(base: number, sizeClass: SizeClass, transition: number): void {
    const ctx = this.#ctx;
    const set = this.#available[sizeClass.index];
    if (transition === OFFER) {
      if (!keep(ctx, base, sizeClass)) offerSlab(ctx.i32, set, base);
    } else if (
      transition === RELEASE ||
      (transition === EMPTY && (unkeep(ctx, base, sizeClass) || revokeSlab(ctx.i32, set, base)))
    )
      this.#releaseSlab(base, sizeClass);
  }

  /**
   * Offers the slabs the record at u32 index `rec` kept to their classes, or releases those that became empty.
   * A free racing with this may find an offered slab empty and release it, or an unoffered one and leave it
   * to be offered here: then it waits, empty, in its class's set, as after any offer that lost such a race.
   */
  #releaseKept(rec: number): void {
    const ctx = this.#ctx;
    for (let k = 0; k < KEPT_SLOTS; k++) {
      const entry = ctx.u32[rec + KEPT + k];
      ctx.u32[rec + KEPT + k] = 0;
      if (entry === 0) continue;
      const sizeClass = keptClass(entry);
      const base = keptBase(entry);
      if (freeCount(ctx.i32, base, sizeClass.slabBytes) === sizeClass.objects)
        this.#releaseSlab(base, sizeClass);
      else offerSlab(ctx.i32, this.#available[sizeClass.index], base);
    }
  }

  /** Parks the spare slabs of the record at u32 index `rec` in the page pools. */
  #releaseSpares(rec: number): void {
    const ctx = this.#ctx;
    for (let k = 0; k < SPARE_SLOTS; k++) {
      const base = ctx.u32[rec + SPARES + k];
      ctx.u32[rec + SPARES + k] = 0;
      if (base !== 0) this.#pools.parkPage(base, SLAB_SIZES[0]);
    }
  }
}

/** Sorts `values[0 .. n)` in place: insertion sort, as n is at most a magazine (64) and often nearly sorted. */
function sortAscending(values: Uint32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    for (; j >= 0 && values[j] > v; j--) values[j + 1] = values[j];
    values[j + 1] = v;
  }
}
