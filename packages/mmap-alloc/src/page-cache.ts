/**
 * Page caches: stacks of zeroed single pages kept in the metadata, so that the commonest request (map and
 * unmap of one page) needs no tree update. There are two kinds, with the same layout and code:
 *
 * - the shared cache (32 pages), changed under the page lock by any handle;
 * - one handle cache (up to 8 pages, at most 1/1024 of the space) per attached handle, in one of the 64 slots
 *   of the header (header.ts) that a handle claims at its first one-page unmap by one `compareExchange` of the
 *   slot's owner word. Only its owner changes it, with plain stores and no lock: a one-page map+unmap pair
 *   through it costs no atomic operation at all. It goes back (its pages to the tree, its slot freed) on
 *   `detach`, or on `recover` of its holder.
 *
 * A stack at word `at` holds its count at `m[at]` and its pages at `m[at + 1 ..]`. A cached page stays marked
 * used in the tree, counts in MAPPED, and is tagged {@link CACHED_TAG} (shared cache) or
 * {@link handleCacheTag} of its slot (a handle cache). A page moves between "a mapped one-page run" and
 * "cached" by three plain stores, ordered so that a writer terminated between any two of them leaves a state
 * {@link repairStack} resolves from the word above the count alone:
 * ```
 *   push: m[at + 1 + c] = page  ->  tag = cache tag        ->  m[at] = c + 1
 *   pop:  m[at] = c - 1         ->  tag = run head         ->  m[at + 1 + c - 1] = 0
 * ```
 * Invariant between operations: the words above the count hold 0 (page 0 is never a run's page).
 *
 * Cached pages go back to the tree, one logged change each (redo-log.ts), when a map finds no room (the shared
 * cache and the mapping handle's own), on `detach` and on `recover` of its handle. So at most
 * 32 pages, plus {@link HANDLE_CACHE_SLOTS} per other attached handle, are not coalesced.
 *
 * @module
 */
import {
  H_CACHE_COUNT,
  HANDLE_CACHE_SLOTS,
  HANDLE_CACHE_WORDS,
  HANDLE_CACHES,
  HANDLE_CACHES_BASE,
  HEADER_WORDS,
} from "./header.js";
import type { RedoLog } from "./redo-log.js";
import { CACHED_TAG, COUNT_MASK, MAX_LABEL } from "./run-tags.js";

/** A handle's cache word before its first one-page unmap, and when every slot was taken. */
export const UNCLAIMED = -1;
export const NO_HANDLE_CACHE = -2;

/**
 * The pages each handle cache of a space of `pages` pages may hold: 8, but at most 1/1024 of the space, so
 * that all 64 handle caches together never keep more than 1/16 of it from the other handles (a space of
 * fewer than 1024 pages, e.g. of large pages, has none).
 */
export function handleCacheSlots(pages: number): number {
  return Math.min(HANDLE_CACHE_SLOTS, Math.floor(pages / 1024));
}

/** The word of the owner of handle cache `index`, in the header at word `h`; its stack is the next word. */
export function ownerWord(h: number, index: number): number {
  return h + HANDLE_CACHES_BASE + index * HANDLE_CACHE_WORDS;
}

/**
 * Claims a free handle cache for `holder` (one `compareExchange` on its owner word) in the header at word `h`:
 * its index, or -1 when every one is taken.
 */
export function claimHandleCache(m: Int32Array, h: number, holder: number): number {
  for (let index = 0; index < HANDLE_CACHES; index++) {
    const owner = ownerWord(h, index);
    if (m[owner] === 0 && Atomics.compareExchange(m, owner, 0, holder) === 0) return index;
  }
  return -1;
}

/**
 * Frees every page of the page cache whose stack is at word `at` into the tree, so that they coalesce with
 * their neighbours (lock held). Each page is one logged change: a crash in between loses no page.
 */
export function flushStack(m: Int32Array, at: number, log: RedoLog): void {
  while (m[at] > 0) log.freeCachedPage(m, at);
}

/**
 * The pages in the page caches of the header at word `h` (lock held). The counts of other handles' caches may
 * change meanwhile: the figure is as of some instant of the call for each cache.
 */
export function cachedPages(m: Int32Array, h: number): number {
  let pages = m[h + H_CACHE_COUNT];
  for (let owner = h + HANDLE_CACHES_BASE; owner < h + HEADER_WORDS; owner += HANDLE_CACHE_WORDS) {
    pages += m[owner + 1];
  }
  return pages;
}

/** True when a page of `[first, first + pages)` is in a page cache (used in the tree, but not mapped). */
export function anyCached(m: Int32Array, tags: number, first: number, pages: number): boolean {
  for (let p = first; p < first + pages; p++) if (isCachedTag(m[tags + p])) return true;
  return false;
}

/** The run tag of a page in the handle cache `index`: below every tail tag, above {@link CACHED_TAG}. */
export function handleCacheTag(index: number): number {
  return CACHED_TAG + 1 + index;
}

/** Whether a run tag marks a cached page (in the shared cache or a handle cache). */
export function isCachedTag(tag: number): boolean {
  return tag < -COUNT_MASK;
}

/**
 * Whether `map(bytes, align, label)` is a valid request for one page of `pageSize` without extra alignment,
 * which the page caches serve: the checks of the fast path, in integer arithmetic (`x >>> 0 === x` holds for
 * the integers from 0 to 2^32 - 1 only).
 */
export function isOnePage(bytes: number, align: number, label: number, pageSize: number): boolean {
  return (
    bytes >>> 0 === bytes &&
    bytes !== 0 &&
    bytes <= pageSize &&
    align >>> 0 === align &&
    align !== 0 &&
    (align & (align - 1)) === 0 &&
    align <= pageSize &&
    (label & MAX_LABEL) === label
  );
}

/** Takes the newest page of the stack at `at` (not empty) and tags it `head`; returns the page. */
export function popPage(m: Int32Array, at: number, tags: number, head: number): number {
  const count = m[at] - 1;
  const page = m[at + 1 + count];
  m[at] = count;
  m[tags + page] = head;
  m[at + 1 + count] = 0;
  return page;
}

/** Puts the zeroed one-page run `page` on the stack at `at` (not full), tagged `tag`. */
export function pushPage(m: Int32Array, at: number, tags: number, page: number, tag: number): void {
  const count = m[at];
  m[at + 1 + count] = page;
  m[tags + page] = tag;
  m[at] = count + 1;
}

/**
 * Completes or undoes a push or pop that a terminated writer left half-done on the stack at `at`. A page in
 * the word above the count is either still tagged `tag` (a push that missed only its count, or a pop that
 * only lowered it: the page is cached) or not (a push before its tag, or a pop after it: the page is
 * mapped, and stays with the dead worker's runs).
 */
export function repairStack(m: Int32Array, at: number, slots: number, tags: number, tag: number): void {
  const count = m[at];
  const page = count < slots ? m[at + 1 + count] : 0;
  if (page === 0) return;
  if (m[tags + page] === tag) m[at] = count + 1;
  else m[at + 1 + count] = 0;
}
