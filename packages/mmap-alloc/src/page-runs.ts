/**
 * The runs of pages of one space and the lock that guards them: taking and recovering the lock, finding room
 * for a run (returning the page caches to the tree when there is none), mapping, extending and auditing runs,
 * giving handle caches back, and counting pages. Each change goes through the redo log (redo-log.ts); the page
 * tree (page-tree.ts) knows which pages are used, the run tags (run-tags.ts) where runs begin and end. Every
 * method takes the caller's view of the metadata (the space's Int32Array) and, where it reads or changes the
 * page state, takes the lock itself: callers never hold it.
 *
 * @module
 */
import type { SpaceGrowth } from "./backing.js";
import { checkSpace } from "./check.js";
import {
  CACHE_SLOTS,
  H_CACHE_COUNT,
  H_GROWTHS,
  H_LOCK,
  H_MAPPED,
  HANDLE_CACHE_SLOTS,
  HANDLE_CACHES,
  type SpaceShape,
  TREE_BASE,
  tagBase,
} from "./header.js";
import {
  anyCached,
  cachedPages,
  claimHandleCache,
  flushStack,
  handleCacheTag,
  ownerWord,
  popPage,
  pushPage,
  repairStack,
} from "./page-cache.js";
import { canSleep, holderOf, lock, takeOver, unlock } from "./page-lock.js";
import { PageTree } from "./page-tree.js";
import { RedoLog } from "./redo-log.js";
import { CACHED_TAG, COUNT_MASK, DIRTY_TAG, headTag, LABEL_SHIFT, runAround } from "./run-tags.js";
import { dirtyEnds, markDirty } from "./zeroing.js";

/** A snapshot of an address space, taken under its lock. */
export interface AddressSpaceStats {
  /** Bytes in mapped runs. */
  mappedBytes: number;
  /** Bytes of pages inside the buffer that no run holds (they read as zero). */
  freeBytes: number;
  /** Bytes the buffer holds now: JavaScript cannot give any of them back. */
  committedBytes: number;
  /** Bytes below the first page that can be mapped: `base` and the space's metadata. */
  reservedBytes: number;
  /** The longest free run, up to `maxBytes` (the part beyond the buffer is mapped by growing it). */
  largestFreeRun: number;
  /** How many times the buffer was grown. */
  growths: number;
}

/** The page state of one space, whose header is at word `h` of the views, as the handle `holder` sees it. */
export class PageRuns {
  /** The redo log every change goes through. */
  readonly log: RedoLog;
  readonly #tree: PageTree;
  readonly #h: number;
  readonly #tags: number;
  readonly #shape: SpaceShape;
  readonly #holder: number;
  readonly #lockWord: number;
  readonly #sleep: boolean;
  readonly #growth: SpaceGrowth;
  /**
   * Set under the lock by {@link PageRuns.mapRun} and {@link PageRuns.extendRun}: bit 0 if the first new page
   * was dirty, bit 1 its last (their tags now hold the run's); -1 for a page from the shared cache (zero).
   */
  dirtyEnds = 0;

  constructor(m: Int32Array, h: number, shape: SpaceShape, holder: number, growth: SpaceGrowth) {
    this.#h = h;
    this.#growth = growth;
    this.#shape = shape;
    this.#holder = holder;
    this.#lockWord = h + H_LOCK;
    this.#sleep = canSleep(m, this.#lockWord);
    this.#tree = new PageTree(h + TREE_BASE, shape.leaves);
    this.#tags = h + tagBase(shape.leaves);
    this.log = new RedoLog(h, this.#tree, this.#tags);
  }

  /** Takes the lock and finishes a change a previous holder left half-done (it threw while applying it). */
  #lock(m: Int32Array): void {
    lock(m, this.#lockWord, this.#holder, this.#sleep);
    this.log.replayIfActive(m);
  }

  #unlock(m: Int32Array): void {
    unlock(m, this.#lockWord);
  }

  /** The id of the handle holding the lock now, or 0. */
  lockHolder(m: Int32Array): number {
    return holderOf(m, this.#lockWord);
  }

  /**
   * Takes the lock over from `deadHolder` if it still holds it, finishes its change, repairs the shared cache
   * (only a lock holder changes it) and releases the lock; false when `deadHolder` did not hold it.
   */
  recoverLock(m: Int32Array, deadHolder: number): boolean {
    if (!takeOver(m, this.#lockWord, deadHolder, this.#holder)) return false;
    this.log.replayIfActive(m);
    repairStack(m, this.#h + H_CACHE_COUNT, CACHE_SLOTS, this.#tags, CACHED_TAG);
    this.#unlock(m);
    return true;
  }

  /** Claims a free handle cache for this handle: its index, or -1 when every one is taken. */
  claimHandleCache(m: Int32Array): number {
    return claimHandleCache(m, this.#h, this.#holder);
  }

  /** The word of the stack of handle cache `index`. */
  handleCacheAt(index: number): number {
    return ownerWord(this.#h, index) + 1;
  }

  /**
   * Returns the pages of the handle cache whose stack is at `at` (tagged `tag`) to the tree, repairing a push
   * or pop its owner left half-done, then frees its slot.
   */
  releaseHandleCache(m: Int32Array, at: number, tag: number): void {
    this.#lock(m);
    try {
      repairStack(m, at, HANDLE_CACHE_SLOTS, this.#tags, tag);
      flushStack(m, at, this.log);
    } finally {
      this.#unlock(m);
    }
    // Last: a handle claiming the slot finds it empty. If this worker dies before, the slot keeps its owner
    // id, and recover(owner) releases it.
    Atomics.store(m, at - 1, 0);
  }

  /** Releases every handle cache `deadHolder` owns. */
  releaseHandleCachesOf(m: Int32Array, deadHolder: number): void {
    for (let index = 0; index < HANDLE_CACHES; index++) {
      const at = this.handleCacheAt(index);
      if (Atomics.load(m, at - 1) === deadHolder) this.releaseHandleCache(m, at, handleCacheTag(index));
    }
  }

  /** The word index, in the views, of the run tag of page 0. */
  get tags(): number {
    return this.#tags;
  }

  /**
   * Maps `pages` pages aligned to `alignPages` pages: one page from the shared page cache,
   * else the leftmost free run that fits, growing the buffer when the run reaches past it. Sets
   * {@link PageRuns.dirtyEnds} for the zeroing after the lock.
   * @returns the run's first page; -1 when there is no room.
   */
  mapRun(m: Int32Array, pages: number, alignPages: number, label: number, local: number): number {
    this.#lock(m);
    let view = m;
    try {
      const shared = this.#h + H_CACHE_COUNT;
      if (pages === 1 && alignPages === 1 && m[shared] > 0) {
        this.dirtyEnds = -1;
        return popPage(m, shared, this.#tags, headTag(1, label));
      }
      const start = this.#find(m, pages, alignPages, local);
      if (start < 0 || !this.#growth.ensure((start + pages) * this.#shape.pageSize)) return -1;
      view = this.#growth.views.i32; // after growth: a detached buffer's view would read nothing
      this.dirtyEnds = dirtyEnds(view, this.#tags, start, pages);
      this.log.map(view, start, pages, label);
      return start;
    } finally {
      this.#unlock(view);
    }
  }

  /**
   * Grows the caller's run of `oldPages` at `first` to `newPages` in place when the pages after it are free,
   * and sets {@link PageRuns.dirtyEnds} for the added pages; false when they are not free.
   */
  extendRun(m: Int32Array, first: number, oldPages: number, newPages: number, label: number): boolean {
    const added = newPages - oldPages;
    this.#lock(m);
    let view = m;
    try {
      if (first + newPages > this.#shape.pages || !this.#tree.isFree(m, first + oldPages, added))
        return false;
      if (!this.#growth.ensure((first + newPages) * this.#shape.pageSize)) return false;
      view = this.#growth.views.i32;
      this.dirtyEnds = dirtyEnds(view, this.#tags, first + oldPages, added);
      this.log.extend(view, first, oldPages, newPages, label);
      return true;
    } finally {
      this.#unlock(view);
    }
  }

  /**
   * The first page of the leftmost free run of `pages` pages aligned to `alignPages`; when there is none, the
   * shared page cache and the handle cache at word `local` (if not negative) go back to the tree first. -1
   * when there is still no room.
   */
  #find(m: Int32Array, pages: number, alignPages: number, local: number): number {
    const want = pages + alignPages - 1;
    let found = this.#tree.findFirst(m, want);
    const shared = this.#h + H_CACHE_COUNT;
    if (found < 0 && (m[shared] > 0 || (local >= 0 && m[local] > 0))) {
      flushStack(m, shared, this.log);
      if (local >= 0) flushStack(m, local, this.log);
      found = this.#tree.findFirst(m, want);
    }
    return found < 0 ? -1 : Math.ceil(found / alignPages) * alignPages;
  }

  /**
   * Unmaps `[first, first + count)` of the caller's run that it heads or ends, tagging its pages dirty (it takes
   * the lock); false, with nothing changed, when the range is no mapped run's head or tail.
   */
  unmap(m: Int32Array, first: number, count: number): boolean {
    const tags = this.#tags;
    const runStart = runAround(m, tags, this.#shape.pages, first, count);
    if (runStart < 0) return false;
    const head = m[tags + runStart];
    markDirty(m, tags, first, count);
    this.#lock(m);
    try {
      this.log.unmap(m, runStart, head & COUNT_MASK, head >>> LABEL_SHIFT, first, count, DIRTY_TAG);
    } finally {
      this.#unlock(m);
    }
    return true;
  }

  /**
   * Unmaps the caller's zeroed one-page run `page` into the shared page cache while it has room, else into the
   * tree.
   */
  unmapPage(m: Int32Array, page: number): void {
    this.#lock(m);
    try {
      const shared = this.#h + H_CACHE_COUNT;
      if (m[shared] < CACHE_SLOTS) pushPage(m, shared, this.#tags, page, CACHED_TAG);
      else this.log.unmap(m, page, 1, 0, page, 1, 0);
    } finally {
      this.#unlock(m);
    }
  }

  /** Whether every page of `[first, first + pages)` is mapped: used in the tree, in no page cache. */
  isMapped(m: Int32Array, first: number, pages: number): boolean {
    this.#lock(m);
    try {
      return (
        first + pages <= this.#shape.pages &&
        this.#tree.isUsed(m, first, pages) &&
        !anyCached(m, this.#tags, first, pages)
      );
    } finally {
      this.#unlock(m);
    }
  }

  /** The space's sizes. */
  stats(m: Int32Array): AddressSpaceStats {
    this.#lock(m);
    try {
      return this.#stats(m, this.#growth.backing.byteLength);
    } finally {
      this.#unlock(m);
    }
  }

  #stats(m: Int32Array, committed: number): AddressSpaceStats {
    const { pageSize, pages, firstPage } = this.#shape;
    const mapped = (m[this.#h + H_MAPPED] - cachedPages(m, this.#h)) * pageSize;
    const reserved = firstPage * pageSize;
    return {
      mappedBytes: mapped,
      freeBytes: Math.floor(Math.min(committed, pages * pageSize) / pageSize) * pageSize - reserved - mapped,
      committedBytes: committed,
      reservedBytes: reserved,
      largestFreeRun: this.#tree.largestFree(m) * pageSize,
      growths: m[this.#h + H_GROWTHS],
    };
  }

  /** The problems {@link checkSpace} finds in the space. */
  check(m: Int32Array): string[] {
    this.#lock(m);
    try {
      const { pageSize, pages, firstPage } = this.#shape;
      const { backing, views } = this.#growth;
      const space = { tree: this.#tree, h: this.#h, tags: this.#tags, pages, firstPage, pageSize };
      return checkSpace(
        { ...space, holder: this.#holder, byteLength: backing.byteLength, f64: views.f64 },
        m,
      );
    } finally {
      this.#unlock(m);
    }
  }
}
