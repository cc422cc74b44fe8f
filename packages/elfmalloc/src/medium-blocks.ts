/**
 * Medium blocks (257 B to 16 KiB): each thread allocates from its own medium chunks with a best fit over its
 * free-list index, exact to 64 bytes, and frees into them directly; other threads' frees wait on the chunk's
 * remote stack until the owner needs memory (medium-chunk.ts has the layout and the order of operations).
 * Blocks of up to 1 KiB that a thread frees into its own chunks go to a small magazine per unit count first
 * (thread-cache.ts), which malloc's fast path serves without touching the chunk.
 *
 * Why not size classes for these sizes: on mixed sizes (shbench) they held most of the heap's free memory,
 * rounding up by 9% on average and keeping a partly free slab per class and thread (info/elfmalloc.md).
 *
 * Life of a chunk:
 * ```
 * page pools --add--> OWNED by a thread --its thread detaches or is reclaimed--> ORPHANED
 *     ^                  |  ^                                                      |
 *     +----- empty ------+  +---- adopted by a thread that frees into it, or ------+
 *                                 whose medium malloc found no fit
 * ```
 * An owned chunk that becomes empty goes back to the page pools (page-pools.ts) unless it is its thread's
 * last; trim gives back the last too, and a leaving thread gives back its empty chunks instead of orphaning
 * them.
 * Orphaned chunks are listed in a set of the root (available-slabs.ts: a bit per chunk), and whoever clears a
 * chunk's bit adopts it: a thread that frees one of its blocks (a revoke), or one whose medium malloc found no
 * fit (a take, before it takes pages for a new chunk). The adopter writes its slot + 1 in the owner word (0
 * means orphaned), rebuilds its free lists from the chunk's bits and frees the blocks waiting on the remote
 * stack. So a set bit always means an orphan, and no thread writes the owner word of a chunk it does not own.
 * Order: the leaving thread stores 0 in the owner word, offers the bit, then looks at the remote stack; if a
 * free arrived, it revokes the bit to own the chunk again and frees it (or, revoked by someone else, leaves it
 * to them). A remote free pushes, then
 * reads the owner word, and only then tries to adopt: both sides are sequentially consistent, so either the
 * leaver sees the push or the freer sees the 0 (and then its revoke, the leaver's or a taker's wins, and the
 * winner frees the stack). No free is left on an orphan's stack unseen.
 *
 * @module
 */
import { NULL, type Ptr } from "@allocators/object-alloc";
import { offerSlab, revokeSlab, takeSlab } from "./available-slabs.js";
import type { HandleContext } from "./handle-context.js";
import { R_MEDIUM_RETIRED, R_ORPHANS } from "./heap-root.js";
import {
  blockBefore,
  blockUnits,
  CAPACITY,
  CHUNK_BYTES,
  clearPending,
  clearStart,
  F_UNITS,
  forEachFreeRun,
  freeUnits,
  HEADER_UNITS,
  initChunk,
  isFree,
  isPending,
  isStart,
  markFree,
  markLive,
  markStart,
  nextChunk,
  ownerIndex,
  prevChunk,
  pushRemote,
  remoteTop,
  setLinks,
  takeRemote,
  UNIT,
  UNIT_SHIFT,
  UNITS,
  unitOf,
  unitsFor,
} from "./medium-chunk.js";
import { clearIndex, findFit, insertFree, removeFree } from "./medium-index.js";
import { entryIndex, KIND_MASK, KIND_MEDIUM, setEntries } from "./page-map.js";
import type { PagePools } from "./page-pools.js";
import {
  CHUNK_COUNT,
  CHUNKS,
  MAGAZINE_UNITS_MAX,
  MAGAZINE_UNITS_MIN,
  MEDIUM_BLOCKS,
  MEDIUM_INDEX,
  MEDIUM_UNITS,
  mediumCount,
  REMOTE_FREES,
} from "./thread-cache.js";

/**
 * The medium blocks of one heap, seen from one handle. The handle's public calls sync its views (the context's)
 * before they call in here.
 */
export class MediumBlocks {
  readonly #ctx: HandleContext;
  readonly #pools: PagePools;
  /** i32 index of the set of orphaned chunks. */
  readonly #orphans: number;

  constructor(ctx: HandleContext, pools: PagePools) {
    this.#ctx = ctx;
    this.#pools = pools;
    this.#orphans = ctx.i32[ctx.rootIndex + R_ORPHANS] >>> 2;
  }

  /** A block of at least `size` bytes (MEDIUM_MIN..MEDIUM_MAX), 64-aligned, or 0 when out of memory. */
  alloc(size: number): Ptr {
    const ctx = this.#ctx;
    const units = unitsFor(size);
    const index = ctx.rec + MEDIUM_INDEX;
    let ptr = findFit(ctx.u32, index, units);
    if (ptr === NULL && this.#drainAll()) ptr = findFit(ctx.u32, index, units);
    while (ptr === NULL && this.#adoptOrphan()) ptr = findFit(ctx.u32, index, units);
    if (ptr === NULL) {
      if (!this.#addChunk()) return NULL;
      ptr = findFit(ctx.u32, index, units);
    }
    return this.#carve(ptr, units);
  }

  /**
   * Frees the block at `ptr` of the chunk at `base` (from any thread).
   * @throws RangeError for a pointer that is not a live block (interior, misaligned, or freed already).
   */
  free(ptr: Ptr, base: number): void {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const i32 = ctx.i32;
    const unit = unitOf(base, ptr);
    if ((ptr & (UNIT - 1)) !== 0 || unit < HEADER_UNITS || !isStart(u32, base, unit)) {
      throw new RangeError(`free(${ptr}): an interior pointer, not a block`);
    }
    if (isFree(u32, base, unit) || isPending(u32, base, unit)) {
      throw new RangeError(`free(${ptr}): double free (the block is not live)`);
    }
    const owner = ownerIndex(base);
    if (u32[owner] === ctx.slot + 1) {
      const units = blockUnits(u32, base, unit);
      if (units <= MAGAZINE_UNITS_MAX) {
        // A magazine's limit is 0 in checked mode, where every free is checked against the bits.
        const count = ctx.rec + mediumCount(units);
        const n = u32[count];
        if (n < u32[count - 1]) {
          u32[count + 1 + n] = ptr;
          u32[count] = n + 1;
          return;
        }
      }
      this.#release(base, unit);
      return;
    }
    if (!pushRemote(i32, base, ptr))
      throw new RangeError(`free(${ptr}): double free (the block is not live)`);
    u32[ctx.rec + REMOTE_FREES]++;
    if (Atomics.load(i32, owner) === 0 && revokeSlab(i32, this.#orphans, base)) {
      Atomics.store(i32, owner, ctx.slot + 1);
      this.#adopt(base);
    }
  }

  /**
   * The bytes usable at `ptr`, a block of the chunk at `base`.
   * @throws RangeError when `ptr` is not the start of a live block.
   */
  usableSize(ptr: Ptr, base: number): number {
    const u32 = this.#ctx.u32;
    const unit = unitOf(base, ptr);
    if (
      (ptr & (UNIT - 1)) !== 0 ||
      unit < HEADER_UNITS ||
      !isStart(u32, base, unit) ||
      isFree(u32, base, unit) ||
      isPending(u32, base, unit)
    ) {
      throw new RangeError(`ptr ${ptr} is not a block of this heap`);
    }
    return blockUnits(u32, base, unit) << UNIT_SHIFT;
  }

  /**
   * Frees this thread's medium magazines and what other threads freed into its chunks, then gives back every
   * empty chunk, the last one included.
   */
  trim(): void {
    const ctx = this.#ctx;
    this.#emptyMagazines(ctx.rec, false);
    this.#drainAll();
    const u32 = ctx.u32;
    for (let base = u32[ctx.rec + CHUNKS]; base !== 0; ) {
      const next = nextChunk(u32, base);
      if (freeUnits(u32, base) === CAPACITY) {
        removeFree(u32, ctx.rec + MEDIUM_INDEX, base + HEADER_UNITS * UNIT);
        this.#dropChunk(base);
      }
      base = next;
    }
  }

  /**
   * Leaves the chunks of the thread `slot`, whose record is at u32 index `rec` (this thread when it detaches,
   * an ended one for reclaimThread): frees its medium magazines and what waits on the chunks' remote stacks
   * into the chunks' bits, gives back the empty chunks and orphans the others; the record's live counts are
   * retired to the root.
   */
  leave(rec: number, slot: number): void {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const i32 = ctx.i32;
    this.#emptyMagazines(rec, true);
    // Bounded by the heap's size rather than the count: a worker killed while linking a chunk may have listed
    // it without counting it. A list a killed worker left broken ends at the first chunk that is not its own.
    let base = u32[rec + CHUNKS];
    for (let n = ctx.space.maxBytes / CHUNK_BYTES; base !== 0 && n > 0; n--) {
      if (!this.#isChunkOf(base, slot)) break;
      const next = nextChunk(u32, base);
      this.#orphan(rec, base, slot);
      base = next;
    }
    const r = ctx.rootIndex;
    Atomics.add(i32, r + R_MEDIUM_RETIRED, i32[rec + MEDIUM_BLOCKS]);
    Atomics.add(i32, r + R_MEDIUM_RETIRED + 1, i32[rec + MEDIUM_UNITS]);
    clearIndex(u32, rec + MEDIUM_INDEX);
    u32.fill(0, rec + CHUNKS, rec + MEDIUM_UNITS + 1);
  }

  /** Takes `units` from the front of the free block at `ptr`; the rest stays free. */
  #carve(ptr: number, units: number): Ptr {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const base = this.#chunkOf(ptr);
    const index = ctx.rec + MEDIUM_INDEX;
    const unit = unitOf(base, ptr);
    const n = u32[(ptr >>> 2) + F_UNITS];
    removeFree(u32, index, ptr);
    if (n > units) {
      markStart(u32, base, unit + units);
      insertFree(u32, index, ptr + units * UNIT, n - units);
    }
    markLive(u32, base, unit, unit + units);
    u32[ctx.rec + MEDIUM_BLOCKS]++;
    u32[ctx.rec + MEDIUM_UNITS] += units;
    return ptr;
  }

  /**
   * Frees the live block at `unit` of one of this thread's chunks, merging it with free neighbours; a chunk
   * that becomes empty goes back to the pool unless it is the thread's last. Returns true if it did.
   */
  #release(base: number, unit: number): boolean {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const index = ctx.rec + MEDIUM_INDEX;
    let start = unit;
    let n = blockUnits(u32, base, unit);
    markFree(u32, base, unit, unit + n);
    u32[ctx.rec + MEDIUM_BLOCKS]--;
    u32[ctx.rec + MEDIUM_UNITS] -= n;
    const end = unit + n;
    if (end < UNITS && isFree(u32, base, end)) {
      const next = base + end * UNIT;
      n += u32[(next >>> 2) + F_UNITS];
      removeFree(u32, index, next);
      clearStart(u32, base, end);
    }
    if (start > HEADER_UNITS && isFree(u32, base, start - 1)) {
      const prev = base + blockBefore(u32, base, start) * UNIT;
      n += u32[(prev >>> 2) + F_UNITS];
      removeFree(u32, index, prev);
      clearStart(u32, base, start);
      start = unitOf(base, prev);
    }
    if (n === CAPACITY && u32[ctx.rec + CHUNK_COUNT] > 1) {
      this.#dropChunk(base);
      return true;
    }
    insertFree(u32, index, base + start * UNIT, n);
    return false;
  }

  /** Frees into this thread's chunks what other threads pushed on their remote stacks. True if any. */
  #drainAll(): boolean {
    const ctx = this.#ctx;
    let any = false;
    for (let base = ctx.u32[ctx.rec + CHUNKS]; base !== 0; ) {
      const next = nextChunk(ctx.u32, base);
      if (remoteTop(ctx.i32, base) !== 0) any = this.#drain(base) || any;
      base = next;
    }
    return any;
  }

  /**
   * Frees the blocks on the chunk's remote stack: through this thread's lists, or, for a thread that is
   * leaving (`leaving`: its record), into the chunk's bits alone, counted off that record. A node that is not
   * a pending live block ends the walk: only a double free racing with its first free can put one there, and
   * the rest of such a stack is not trusted.
   */
  #drain(base: number, leaving = -1): boolean {
    const ctx = this.#ctx;
    const i32 = ctx.i32;
    let any = false;
    for (let ptr = takeRemote(i32, base); ptr !== 0; ) {
      const u32 = ctx.u32;
      const next = u32[ptr >>> 2];
      const unit = unitOf(base, ptr);
      if (!isStart(u32, base, unit) || isFree(u32, base, unit) || !isPending(u32, base, unit)) break;
      // Not pending before it is free: the pending bit is what keeps a block off the stack twice, and a chunk
      // that the free empties may be gone at once.
      clearPending(i32, base, unit);
      any = true;
      if (leaving >= 0) this.#freeIntoBits(leaving, base, unit);
      else if (this.#release(base, unit)) break;
      ptr = next;
    }
    return any;
  }

  /** Adopts the lowest orphaned chunk of the root's set; false when there is none. */
  #adoptOrphan(): boolean {
    const ctx = this.#ctx;
    const base = takeSlab(ctx.i32, this.#orphans);
    if (base === NULL) return false;
    // Mapped by another worker, the chunk may lie beyond this handle's views.
    ctx.sync();
    Atomics.store(ctx.i32, ownerIndex(base), ctx.slot + 1);
    this.#adopt(base);
    return true;
  }

  /** Makes an orphaned chunk this thread's: its free runs join the index, its remote frees are freed. */
  #adopt(base: number): void {
    const u32 = this.#ctx.u32;
    this.#link(base);
    const index = this.#ctx.rec + MEDIUM_INDEX;
    forEachFreeRun(u32, base, (unit, units) => insertFree(u32, index, base + unit * UNIT, units));
    // The free that adopted the chunk pushed a block: freeing it may empty the chunk, which then goes back.
    this.#drain(base);
  }

  /** Takes pages for a new chunk of this thread and lists its one free block; false when out of memory. */
  #addChunk(): boolean {
    const ctx = this.#ctx;
    // Under the synced views: taking pages may have grown the heap (an unshared wasm memory's old views detach).
    const base = this.#pools.takeChunk();
    if (base === NULL) return false;
    const u32 = ctx.u32;
    initChunk(u32, base, ctx.slot);
    // Named by the page map before it is listed: leave() stops at a listed chunk the page map does not name.
    setEntries(u32, ctx.map, base, CHUNK_BYTES, KIND_MEDIUM);
    this.#link(base);
    insertFree(u32, ctx.rec + MEDIUM_INDEX, base + HEADER_UNITS * UNIT, CAPACITY);
    return true;
  }

  /** Gives an empty chunk (already out of the index) back to the pages. */
  #dropChunk(base: number): void {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const next = nextChunk(u32, base);
    const prev = prevChunk(u32, base);
    if (prev === 0) u32[ctx.rec + CHUNKS] = next;
    else setLinks(u32, prev, next, prevChunk(u32, prev));
    if (next !== 0) setLinks(u32, next, nextChunk(u32, next), prev);
    u32[ctx.rec + CHUNK_COUNT]--;
    this.#pools.releaseChunk(base);
  }

  /** Puts a chunk at the head of this thread's list. */
  #link(base: number): void {
    const ctx = this.#ctx;
    const u32 = ctx.u32;
    const head = u32[ctx.rec + CHUNKS];
    setLinks(u32, base, head, 0);
    if (head !== 0) setLinks(u32, head, nextChunk(u32, head), base);
    u32[ctx.rec + CHUNKS] = base;
    u32[ctx.rec + CHUNK_COUNT]++;
  }

  /**
   * Orphans one chunk of a leaving thread (see the module comment for why no remote free is lost), or gives it
   * back when it is empty. Frees are applied to the bits only: whoever adopts the chunk rebuilds its lists.
   */
  #orphan(rec: number, base: number, slot: number): void {
    const ctx = this.#ctx;
    const owner = ownerIndex(base);
    for (;;) {
      this.#drain(base, rec);
      if (freeUnits(ctx.u32, base) === CAPACITY) {
        this.#pools.releaseChunk(base);
        return;
      }
      Atomics.store(ctx.i32, owner, 0);
      offerSlab(ctx.i32, this.#orphans, base);
      if (remoteTop(ctx.i32, base) === 0) return;
      if (!revokeSlab(ctx.i32, this.#orphans, base)) return;
      Atomics.store(ctx.i32, owner, slot + 1);
    }
  }

  /** Frees the live block at `unit` into its chunk's free bits alone (its thread is leaving). */
  #freeIntoBits(rec: number, base: number, unit: number): void {
    const u32 = this.#ctx.u32;
    const n = blockUnits(u32, base, unit);
    markFree(u32, base, unit, unit + n);
    u32[rec + MEDIUM_BLOCKS]--;
    u32[rec + MEDIUM_UNITS] -= n;
  }

  /**
   * Frees every block of the medium magazines of record `rec`: through this thread's lists, or, for a thread
   * that is `leaving`, into the chunks' bits alone. A magazine's items are written before its count grows, so
   * after a worker was killed the first `count` are valid blocks.
   */
  #emptyMagazines(rec: number, leaving: boolean): void {
    const ctx = this.#ctx;
    for (let units = MAGAZINE_UNITS_MIN; units <= MAGAZINE_UNITS_MAX; units++) {
      const count = rec + mediumCount(units);
      const n = ctx.u32[count];
      ctx.u32[count] = 0;
      for (let k = 0; k < n; k++) {
        const u32 = ctx.u32;
        const ptr = u32[count + 1 + k];
        const entry = u32[entryIndex(ctx.map, ptr)];
        const base = entry & ~KIND_MASK;
        const unit = unitOf(base, ptr);
        // Checked because a killed worker's record is read: a live block of a chunk, or left alone.
        if ((entry & KIND_MASK) !== KIND_MEDIUM || !isStart(u32, base, unit) || isFree(u32, base, unit))
          continue;
        if (leaving) this.#freeIntoBits(rec, base, unit);
        else this.#release(base, unit);
      }
    }
  }

  /** The chunk `ptr` lies in, from the page map. */
  #chunkOf(ptr: number): number {
    return this.#ctx.u32[entryIndex(this.#ctx.map, ptr)] & ~KIND_MASK;
  }

  /** True when the page map names `base` a chunk and its header names `slot` its owner (a list sanity check). */
  #isChunkOf(base: number, slot: number): boolean {
    const u32 = this.#ctx.u32;
    return u32[entryIndex(this.#ctx.map, base)] === base + KIND_MEDIUM && u32[ownerIndex(base)] === slot + 1;
  }
}
