/**
 * Page caches: stacks of zeroed single pages kept in the metadata, so that the commonest request (map and
 * unmap of one page) needs no tree update. There are two kinds, with the same layout and code:
 *
 * - the shared cache (32 pages), changed under the page lock by any handle;
 * - one handle cache (up to 8 pages, at most 1/1024 of the space) per attached handle, in one of the 64 slots
 *   of the header (see header.ts) that a handle claims by one `compareExchange` of the slot's owner word. Only its owner changes it, with plain
 *   stores and no lock: a one-page map+unmap pair through it costs no atomic operation at all.
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
 * @module
 */
import { CACHED_TAG, COUNT_MASK } from "./header.js";

/** The run tag of a page in the handle cache `index`: below every tail tag, above {@link CACHED_TAG}. */
export function handleCacheTag(index: number): number {
  return CACHED_TAG + 1 + index;
}

/** Whether a run tag marks a cached page (in the shared cache or a handle cache). */
export function isCachedTag(tag: number): boolean {
  return tag < -COUNT_MASK;
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
