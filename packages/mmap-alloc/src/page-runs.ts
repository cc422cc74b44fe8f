/**
 * The runs of pages of one space, under its lock: finding room for a run (returning the page caches to the
 * tree when there is none), mapping, extending and auditing runs, and counting pages. Each change goes through
 * the redo log (redo-log.ts); the page tree (page-tree.ts) knows which pages are used, the run tags
 * (run-tags.ts) where runs begin and end. Every method takes the metadata view of a caller holding the lock.
 *
 * @module
 */
import { checkSpace } from "./check.js";
import {
  CACHE_SLOTS,
  H_CACHE_COUNT,
  H_GROWTHS,
  H_MAPPED,
  HANDLE_CACHE_SLOTS,
  type SpaceShape,
  TREE_BASE,
  tagBase,
} from "./header.js";
import { anyCached, cachedPages, flushStack, repairStack } from "./page-cache.js";
import { PageTree } from "./page-tree.js";
import { RedoLog } from "./redo-log.js";
import { CACHED_TAG } from "./run-tags.js";
import { dirtyEnds } from "./zeroing.js";

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

/** The page state of one space, whose header is at word `h` of the views, as one handle sees it. */
export class PageRuns {
  /** The redo log every change goes through. */
  readonly log: RedoLog;
  readonly #tree: PageTree;
  readonly #h: number;
  readonly #tags: number;
  readonly #shape: SpaceShape;

  constructor(h: number, shape: SpaceShape) {
    this.#h = h;
    this.#shape = shape;
    this.#tree = new PageTree(h + TREE_BASE, shape.leaves);
    this.#tags = h + tagBase(shape.leaves);
    this.log = new RedoLog(h, this.#tree, this.#tags);
  }

  /** The word index, in the views, of the run tag of page 0. */
  get tags(): number {
    return this.#tags;
  }

  /**
   * The first page of the leftmost free run of `pages` pages aligned to `alignPages`; when there is none, the
   * shared page cache and the handle cache at word `local` (if not negative) go back to the tree first. -1
   * when there is still no room.
   */
  find(m: Int32Array, pages: number, alignPages: number, local: number): number {
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
   * Maps the free pages `[start, start + pages)` as a run labelled `label`.
   * @returns whether its first (bit 0) and last (bit 1) page were dirty, for the zeroing after the lock.
   */
  map(m: Int32Array, start: number, pages: number, label: number): number {
    const ends = dirtyEnds(m, this.#tags, start, pages);
    this.log.map(m, start, pages, label);
    return ends;
  }

  /** Whether the run of `oldPages` at `first` can grow to `newPages` in place: the pages after it are free. */
  canExtend(m: Int32Array, first: number, oldPages: number, newPages: number): boolean {
    return (
      first + newPages <= this.#shape.pages && this.#tree.isFree(m, first + oldPages, newPages - oldPages)
    );
  }

  /** Grows the run of `oldPages` at `first` to `newPages` in place; returns the dirty ends as {@link map}. */
  extend(m: Int32Array, first: number, oldPages: number, newPages: number, label: number): number {
    const ends = dirtyEnds(m, this.#tags, first + oldPages, newPages - oldPages);
    this.log.extend(m, first, oldPages, newPages, label);
    return ends;
  }

  /** Whether every page of `[first, first + pages)` is mapped (used in the tree, and in no page cache). */
  isMapped(m: Int32Array, first: number, pages: number): boolean {
    return (
      first + pages <= this.#shape.pages &&
      this.#tree.isUsed(m, first, pages) &&
      !anyCached(m, this.#tags, first, pages)
    );
  }

  /** Repairs the handle cache whose stack is at `at` (pages tagged `tag`) and returns its pages to the tree. */
  releaseHandleCache(m: Int32Array, at: number, tag: number): void {
    repairStack(m, at, HANDLE_CACHE_SLOTS, this.#tags, tag);
    flushStack(m, at, this.log);
  }

  /** After taking the lock over from a dead holder: finishes its change and repairs the shared cache. */
  recoverLocked(m: Int32Array): void {
    this.log.replayIfActive(m);
    repairStack(m, this.#h + H_CACHE_COUNT, CACHE_SLOTS, this.#tags, CACHED_TAG);
  }

  /** The space's sizes, over a buffer of `committed` bytes now. */
  stats(m: Int32Array, committed: number): AddressSpaceStats {
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

  /** The problems {@link checkSpace} finds, for the handle `holder` over `byteLength` bytes seen as `f64`. */
  check(m: Int32Array, holder: number, byteLength: number, f64: Float64Array): string[] {
    const { pageSize, pages, firstPage } = this.#shape;
    const shape = { tree: this.#tree, h: this.#h, tags: this.#tags, pages, firstPage, pageSize };
    return checkSpace({ ...shape, holder, byteLength, f64 }, m);
  }
}
