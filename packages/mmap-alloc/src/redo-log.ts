/**
 * The redo log: how every change to the page state (run tags, page tree, mapped counter, a page leaving a
 * page cache) survives the death of the worker making it. A change is staged in the log, made active,
 * applied, and made inactive, all while holding the page lock:
 * ```
 * log words (in the header, header.ts):
 * 10 LOG_ACTIVE  11 LOG_START  12 LOG_COUNT  13 LOG_USED  14 LOG_MAPPED  15..22 LOG_TAGS (4 x page, value)
 * 23 LOG_CACHE_AT  24 LOG_CACHE_COUNT
 *
 *   stage: LOG_START/COUNT/USED (a range of pages and its new state), LOG_MAPPED (the mapped counter after),
 *          up to 4 tag writes (unused slots have page -1), and a page leaving a page cache (LOG_CACHE_AT: the
 *          cache's stack, -1 when none; LOG_CACHE_COUNT: its count after): plain stores
 *   LOG_ACTIVE = 1          <- from here a replay produces the same final state
 *   apply: tag writes, tree.assign (when LOG_COUNT > 0), MAPPED = LOG_MAPPED, the stack's count and the
 *          word above it cleared (each one idempotent: final values only)
 *   LOG_ACTIVE = 0
 * ```
 * A worker terminated at any instruction leaves either no active log (nothing changed, or everything did) or
 * an active one, which the next holder replays: after AddressSpace.recover, or after a holder threw while
 * applying. The log's plain stores are ordered before LOG_ACTIVE = 1 by program order for the same worker, and
 * for another worker by the lock's Atomics (a live handover) or by the engine joining the terminated worker's
 * thread before its 'exit' event (a takeover). {@link PageTree.assign} is idempotent even when re-run after
 * an interruption at any instruction, which is what makes the replay of a half-applied change exact.
 *
 * @module
 */
import { H_MAPPED } from "./header.js";
import type { PageTree } from "./page-tree.js";
import { headTag, tailTag } from "./run-tags.js";

export const LOG_ACTIVE = 10;
export const LOG_START = 11;
export const LOG_COUNT = 12;
export const LOG_USED = 13;
export const LOG_MAPPED = 14;
export const LOG_TAGS = 15;
export const LOG_TAG_SLOTS = 4;
export const LOG_CACHE_AT = 23;
export const LOG_CACHE_COUNT = 24;

/** The redo log of one space, in its header at word `h` of the views it is handed (lock held for every call). */
export class RedoLog {
  readonly #h: number;
  readonly #tree: PageTree;
  readonly #tags: number;

  /**
   * @param h the header's word index
   * @param tree the space's page tree
   * @param tags the word index of the run tag of page 0
   */
  constructor(h: number, tree: PageTree, tags: number) {
    this.#h = h;
    this.#tree = tree;
    this.#tags = tags;
  }

  /** Maps the free pages `[start, start + count)` as one run labelled `label`. */
  map(m: Int32Array, start: number, count: number, label: number): void {
    this.#stage(m, start, count, true, count);
    this.#stageRun(m, 0, start, count, label);
    this.#apply(m);
  }

  /**
   * Unmaps `[first, first + count)` of the run of `runPages` at `runStart`: the whole run, its head or its
   * tail (the rest stays a run labelled `label`); the freed page that carried the run's tag gets `freedTag`.
   */
  unmap(
    m: Int32Array,
    runStart: number,
    runPages: number,
    label: number,
    first: number,
    count: number,
    freedTag: number,
  ): void {
    this.#stage(m, first, count, false, -count);
    if (runStart === first) {
      this.#stageTag(m, 0, first, freedTag);
      if (count === runPages) this.#stageTag(m, 1, first + count - 1, freedTag);
      else this.#stageRun(m, 1, first + count, runPages - count, label);
    } else {
      this.#stageTag(m, 0, runStart + runPages - 1, freedTag);
      this.#stageRun(m, 1, runStart, runPages - count, label);
    }
    this.#apply(m);
  }

  /** Grows the run of `oldPages` at `first` to `newPages` over the free pages after it. */
  extend(m: Int32Array, first: number, oldPages: number, newPages: number, label: number): void {
    this.#stage(m, first + oldPages, newPages - oldPages, true, newPages - oldPages);
    this.#stageTag(m, 0, first + oldPages - 1, 0);
    this.#stageRun(m, 1, first, newPages, label);
    this.#apply(m);
  }

  /** Frees the newest page of the page cache whose stack is at word `at` (not empty) into the tree. */
  freeCachedPage(m: Int32Array, at: number): void {
    const count = m[at];
    const page = m[at + count];
    this.#stage(m, page, 1, false, -1);
    this.#stageTag(m, 0, page, 0);
    m[this.#h + LOG_CACHE_AT] = at;
    m[this.#h + LOG_CACHE_COUNT] = count - 1;
    this.#apply(m);
  }

  /**
   * Starts a change: pages `[start, start + count)` become used (or free), the mapped counter moves by
   * `mappedDelta`; clears the tag slots and the cache part.
   */
  #stage(m: Int32Array, start: number, count: number, used: boolean, mappedDelta: number): void {
    const h = this.#h;
    m[h + LOG_START] = start;
    m[h + LOG_COUNT] = count;
    m[h + LOG_USED] = used ? 1 : 0;
    m[h + LOG_MAPPED] = m[h + H_MAPPED] + mappedDelta;
    for (let slot = 0; slot < LOG_TAG_SLOTS; slot++) m[h + LOG_TAGS + 2 * slot] = -1;
    m[h + LOG_CACHE_AT] = -1;
  }

  /** Stages the tag write `tag[page] = value` in slot `slot` (0 to 3). */
  #stageTag(m: Int32Array, slot: number, page: number, value: number): void {
    m[this.#h + LOG_TAGS + 2 * slot] = page;
    m[this.#h + LOG_TAGS + 2 * slot + 1] = value;
  }

  /** Stages the head and tail tags of a run, in slots `slot` and `slot + 1` (the same page for one page). */
  #stageRun(m: Int32Array, slot: number, start: number, count: number, label: number): void {
    const head = headTag(count, label);
    this.#stageTag(m, slot, start, head);
    this.#stageTag(m, slot + 1, start + count - 1, tailTag(count, head));
  }

  /** Activates the staged change, applies it and deactivates it. */
  #apply(m: Int32Array): void {
    m[this.#h + LOG_ACTIVE] = 1;
    this.#replay(m, false);
    m[this.#h + LOG_ACTIVE] = 0;
  }

  /** Finishes a change a previous holder left half-done (it died or threw while applying it), if any. */
  replayIfActive(m: Int32Array): void {
    if (m[this.#h + LOG_ACTIVE] === 0) return;
    this.#replay(m, true);
    m[this.#h + LOG_ACTIVE] = 0;
  }

  /** Applies the staged change; `full` after an interruption (see {@link PageTree.assign}). */
  #replay(m: Int32Array, full: boolean): void {
    const h = this.#h;
    for (let slot = 0; slot < LOG_TAG_SLOTS; slot++) {
      const page = m[h + LOG_TAGS + 2 * slot];
      if (page >= 0) m[this.#tags + page] = m[h + LOG_TAGS + 2 * slot + 1];
    }
    if (m[h + LOG_COUNT] > 0)
      this.#tree.assign(m, m[h + LOG_START], m[h + LOG_COUNT], m[h + LOG_USED] === 1, full);
    m[h + H_MAPPED] = m[h + LOG_MAPPED];
    const at = m[h + LOG_CACHE_AT];
    if (at >= 0) {
      // A page left the cache's stack at `at`: its count drops to LOG_CACHE_COUNT, the word above is cleared.
      m[at] = m[h + LOG_CACHE_COUNT];
      m[at + 1 + m[h + LOG_CACHE_COUNT]] = 0;
    }
  }
}
