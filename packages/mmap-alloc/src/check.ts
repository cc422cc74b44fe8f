/**
 * `AddressSpace.check()`: the audit of a space's metadata against its invariants, kept apart from the
 * allocation paths it audits. Runs under the space's lock, on the metadata view `m`.
 *
 * @module
 */
import {
  CACHE_SLOTS,
  H_CACHE_COUNT,
  H_LENGTH16,
  H_MAPPED,
  HANDLE_CACHE_SLOTS,
  HANDLE_CACHES,
} from "./header.js";
import { handleCacheTag, ownerWord } from "./page-cache.js";
import type { PageTree } from "./page-tree.js";
import { LOG_ACTIVE } from "./redo-log.js";
import { CACHED_TAG, COUNT_MASK, DIRTY_TAG } from "./run-tags.js";

/** What the audit needs to know of the space: its geometry, the checking handle, and the buffer now. */
export interface CheckedSpace {
  readonly tree: PageTree;
  /** Word indices of the header and of the run tags in the views. */
  readonly h: number;
  readonly tags: number;
  /** Pages below `maxBytes`, and the first one that can be mapped. */
  readonly pages: number;
  readonly firstPage: number;
  readonly pageSize: number;
  /** The checking handle's holder id: its own cache is checked fully, other live handles' loosely. */
  readonly holder: number;
  /** The buffer's length now, and the space's view of it as Float64 words (covering the published length). */
  readonly byteLength: number;
  readonly f64: Float64Array;
}

/** check()'s marks (used pages are 1): a page of the shared cache or of a handle cache it can verify... */
const CACHED_PAGE = 2;
/** ...and a page of the handle cache of another live handle, which may map or unmap it meanwhile. */
const BUSY_PAGE = 3;
/** A free page tagged dirty: unmapped without zeroing, so its bytes are not checked. */
const DIRTY_PAGE = 4;

/**
 * Checks every invariant of a space whose lock the caller holds: the tree agrees with itself, every page below
 * `maxBytes` is reserved, free or in exactly one run, runs have matching head and tail tags and lie inside
 * the buffer's published length, free runs are coalesced (the tree's longest free run is the real one), the mapped counter
 * matches, the page caches are consistent, and free pages not tagged dirty read zero. Costs O(pages + committed bytes).
 * @returns the problems found; empty when the space is sound.
 */
export function checkSpace(s: CheckedSpace, m: Int32Array): string[] {
  const problems: string[] = [];
  const leaves = s.tree.leaves;
  const used = new Uint8Array(leaves);
  s.tree.collect(m, used, problems);
  for (let p = 0; p < s.firstPage; p++) if (!used[p]) problems.push(`reserved page ${p} is free`);
  for (let p = s.pages; p < leaves; p++) if (!used[p]) problems.push(`page ${p} beyond maxBytes is free`);
  // Views trust the published length (header.ts): it must not exceed the buffer, and every run lies below it.
  const published = m[s.h + H_LENGTH16] * 16;
  if (published > s.byteLength) {
    problems.push(`published length ${published} exceeds the buffer's ${s.byteLength} bytes`);
  }
  const committedPages = Math.floor(s.byteLength / s.pageSize);
  const publishedPages = Math.floor(Math.min(published, s.byteLength) / s.pageSize);
  let mapped = 0;
  let cached = 0;
  let longestFree = 0;
  let freeRun = 0;
  for (let p = s.firstPage; p < s.pages; ) {
    const tag = m[s.tags + p];
    if (!used[p]) {
      if (tag === DIRTY_TAG) used[p] = DIRTY_PAGE;
      else if (tag !== 0) problems.push(`free page ${p} has run tag ${tag}`);
      longestFree = Math.max(longestFree, ++freeRun);
      p++;
      continue;
    }
    freeRun = 0;
    const mark = cacheMark(s, m, tag);
    if (mark !== 0) {
      used[p] = mark; // zeroed like a free page; checked against its cache below
      cached++;
      p++;
      continue;
    }
    const count = tag & COUNT_MASK;
    if (tag <= 0 || p + count > s.pages) {
      problems.push(`mapped page ${p} does not start a run (tag ${tag})`);
      p++;
      continue;
    }
    checkRun(s, m, used, p, count, publishedPages, problems);
    mapped += count;
    p += count;
  }
  if (s.tree.largestFree(m) !== longestFree) {
    problems.push(`longest free run is ${longestFree} pages, the tree says ${s.tree.largestFree(m)}`);
  }
  if (m[s.h + H_MAPPED] !== mapped + cached) {
    problems.push(`mapped counter ${m[s.h + H_MAPPED]} != ${mapped} pages in runs + ${cached} cached`);
  }
  if (m[s.h + LOG_ACTIVE] !== 0) problems.push("the redo log is active");
  checkCaches(s, m, used, problems);
  checkFreeZero(s, used, Math.min(committedPages, s.pages), problems);
  return problems;
}

function checkRun(
  s: CheckedSpace,
  m: Int32Array,
  used: Uint8Array,
  start: number,
  count: number,
  publishedPages: number,
  problems: string[],
): void {
  const last = start + count - 1;
  if (count > 1 && m[s.tags + last] !== -count) {
    problems.push(`run at page ${start} of ${count} pages has tail tag ${m[s.tags + last]}`);
  }
  if (last >= publishedPages)
    problems.push(`run at page ${start} reaches past the buffer's published length`);
  for (let p = start + 1; p < last; p++) {
    const tag = m[s.tags + p];
    if (tag !== 0 && tag !== DIRTY_TAG) problems.push(`page ${p} inside a run has tag ${tag}`);
  }
  for (let p = start; p <= last; p++) if (!used[p]) problems.push(`page ${p} of run ${start} is free`);
}

/**
 * check()'s mark of a page tagged `tag`: CACHED_PAGE for the shared cache and for a handle cache of this
 * handle or of none; BUSY_PAGE for another live handle's cache, whose owner pops and pushes its pages
 * without the lock (so a page is seen either as cached or as a one-page run: both count as MAPPED); 0 when
 * `tag` is no cache's.
 */
function cacheMark(s: CheckedSpace, m: Int32Array, tag: number): number {
  if (tag === CACHED_TAG) return CACHED_PAGE;
  const index = tag - CACHED_TAG - 1;
  if (index < 0 || index >= HANDLE_CACHES) return 0;
  const owner = m[ownerWord(s.h, index)];
  return owner !== 0 && owner !== s.holder ? BUSY_PAGE : CACHED_PAGE;
}

/**
 * Every page of a cache is tagged as that cache's and listed once, the words above each count are clear,
 * and every page marked CACHED_PAGE is listed. Another live handle's cache is checked for its count only.
 */
function checkCaches(s: CheckedSpace, m: Int32Array, used: Uint8Array, problems: string[]): void {
  const listed = new Set<number>();
  checkStack(s, m, s.h + H_CACHE_COUNT, CACHE_SLOTS, CACHED_TAG, used, listed, problems);
  for (let index = 0; index < HANDLE_CACHES; index++) {
    const owner = m[ownerWord(s.h, index)];
    const count = m[ownerWord(s.h, index) + 1];
    if (owner === 0 && count !== 0) problems.push(`handle cache ${index} has no owner but ${count} pages`);
    if (owner !== 0 && owner !== s.holder) {
      if (count < 0 || count > HANDLE_CACHE_SLOTS) problems.push(`handle cache ${index} count ${count}`);
    } else {
      const tag = handleCacheTag(index);
      checkStack(s, m, ownerWord(s.h, index) + 1, HANDLE_CACHE_SLOTS, tag, used, listed, problems);
    }
  }
  for (let p = s.firstPage; p < s.pages; p++) {
    if (used[p] === CACHED_PAGE && !listed.has(p)) problems.push(`page ${p} is tagged cached but not cached`);
  }
}

/** The stack at word `at` of `slots` pages, tagged `tag`: adds its pages to `listed`. */
function checkStack(
  s: CheckedSpace,
  m: Int32Array,
  at: number,
  slots: number,
  tag: number,
  used: Uint8Array,
  listed: Set<number>,
  problems: string[],
): void {
  const count = m[at];
  if (count < 0 || count > slots) problems.push(`page cache at word ${at}: count ${count} is out of range`);
  for (let slot = 0; slot < slots; slot++) {
    const page = m[at + 1 + slot];
    if (slot >= count) {
      if (page !== 0) problems.push(`page cache at word ${at}: slot ${slot} above the count holds ${page}`);
    } else if (used[page] !== CACHED_PAGE || m[s.tags + page] !== tag || listed.has(page)) {
      problems.push(`page cache at word ${at}: slot ${slot} holds page ${page}`);
    } else {
      listed.add(page);
    }
  }
}

/**
 * Free and cached pages read zero, but dirty free pages and those of another live handle's cache (which it may
 * map meanwhile). Pages past the views (bytes a wasm module grew the memory by itself) hold no run: fresh, zero.
 */
function checkFreeZero(s: CheckedSpace, used: Uint8Array, committed: number, problems: string[]): void {
  const words = s.pageSize / 8;
  const f64 = s.f64;
  const pages = Math.min(committed, Math.floor(f64.length / words));
  for (let p = s.firstPage; p < pages; p++) {
    if (used[p] === 1 || used[p] === BUSY_PAGE || used[p] === DIRTY_PAGE) continue;
    for (let w = p * words, end = w + words; w < end; w++) {
      if (f64[w] !== 0 || 1 / f64[w] < 0) {
        problems.push(`free page ${p} is not zero${used[p] === CACHED_PAGE ? " (cached)" : ""}`);
        break;
      }
    }
  }
}
