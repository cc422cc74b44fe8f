/**
 * The space header: where an address space keeps all of its state, inside the buffer it manages, and the redo
 * log that makes every change to that state survive the death of the worker making it.
 *
 * @module
 */
import { treeWords } from "./page-tree.js";

/**
 * Layout of the metadata, at byte `metaBase` of the buffer (0, or the `base` given for a wasm memory rounded
 * up to 64 bytes). Everything is Int32 words; pages are numbered from byte 0 of the buffer.
 * ```
 * metaBase
 * | header: 1088 words                | page tree: 8 * leaves words | run tags: 1 word per page |pad| pages...
 * |MAGIC VERSION PAGE_SIZE PAGES ...  | (see page-tree.ts)          | (see below)               |   ^ firstPage
 *
 * header words:
 *  0 MAGIC       1 VERSION     2 PAGE_SIZE   3 PAGES (maxBytes / pageSize)   4 LEAVES (power of two >= PAGES)
 *  5 FIRST_PAGE (first page after metadata)  6 LOCK (page-lock.ts)           7 HOLDERS (ids handed out)
 *  8 MAPPED (pages in runs and page caches)  9 GROWTHS
 * 10 LOG_ACTIVE  11 LOG_START  12 LOG_COUNT  13 LOG_USED  14 LOG_MAPPED  15..22 LOG_TAGS (4 x page, value)
 * 23 LOG_CACHE_AT  24 LOG_CACHE_COUNT  25 LENGTH16 (the buffer's length / 16 as last grown, see below)
 * 31 CACHE_COUNT, 32..63 CACHE: the shared page cache, a stack of CACHE_COUNT pages (page-cache.ts)
 * 64..1087 HANDLE_CACHES: 64 x 16 words: the owner's holder id (0 = free), then a stack: count, 8 pages
 * ```
 * The page caches (page-cache.ts): an unmapped one-page run goes to the unmapping handle's own cache, else
 * to the shared one, instead of the tree (while they have room), and a one-page map takes from them first,
 * so the commonest request costs no tree update. A cached page is zeroed, marked used in the tree, tagged
 * {@link CACHED_TAG} (or its handle cache's tag), counts in MAPPED but as free in the statistics, and goes
 * back to the tree when a map finds no room (the shared cache and the mapping handle's own), on
 * `detach` and on `recover` of its handle. So at most {@link CACHE_SLOTS} pages, plus
 * {@link HANDLE_CACHE_SLOTS} (and at most 1/1024 of the space) per other attached handle, are not coalesced.
 * Run tags: a mapped run of `n` pages starting at page `s` has `tag[s] = n | label << 24` and, when `n > 1`,
 * `tag[s + n - 1] = -n`; every other page (inside a run, or free) has tag 0 or {@link DIRTY_TAG}. So a run is
 * found from its first page (head unmaps) or from its last page (tail unmaps), and a double unmap finds no tag.
 *
 * Dirty pages: unmapping a run of several pages does not zero it; it tags each freed page DIRTY_TAG (the
 * pages inside the run before taking the lock, while they are still the caller's; its head and tail page in
 * the logged change). A free page tagged 0 reads zero; `map` zeroes the dirty pages of the run it returns,
 * after releasing the lock, unless asked not to. DIRTY_TAG inside a mapped run only says its bytes may be
 * old (a run mapped without zeroing, or whose mapper died before zeroing): harmless, as its pages are
 * tagged dirty again when unmapped.
 */
export const MAGIC = 0x6d6d6170; // "mmap"
export const VERSION = 3;
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_PAGE_SIZE = 2;
export const H_PAGES = 3;
export const H_LEAVES = 4;
export const H_FIRST_PAGE = 5;
export const H_LOCK = 6;
export const H_HOLDERS = 7;
export const H_MAPPED = 8;
export const H_GROWTHS = 9;
export const LOG_ACTIVE = 10;
export const LOG_START = 11;
export const LOG_COUNT = 12;
export const LOG_USED = 13;
export const LOG_MAPPED = 14;
export const LOG_TAGS = 15;
export const LOG_TAG_SLOTS = 4;
export const LOG_CACHE_AT = 23;
export const LOG_CACHE_COUNT = 24;
/**
 * `floor(byteLength / 16)` of the buffer, stored (under the lock) after every growth and before the new pages
 * are handed out, so that every page of every run lies below it. Views compare it with their own length, one
 * plain load, instead of reading the buffer's `byteLength`: an engine call that workers of a growable
 * `SharedArrayBuffer` contend on (see object-alloc's `MemoryViews`).
 */
export const H_LENGTH16 = 25;
/** The shared page cache: a stack at this word (its count, then its pages). */
export const H_CACHE_COUNT = 31;
export const CACHE_SLOTS = 32;
/** The handle caches, each {@link HANDLE_CACHE_WORDS} words (one 64-byte line: no false sharing). */
export const HANDLE_CACHES_BASE = 64;
export const HANDLE_CACHES = 64;
export const HANDLE_CACHE_WORDS = 16;
/** Pages a handle cache holds: the most one handle keeps from the others. */
export const HANDLE_CACHE_SLOTS = 8;
export const HEADER_WORDS = HANDLE_CACHES_BASE + HANDLE_CACHES * HANDLE_CACHE_WORDS;
/** The tree starts at this word; node 0 is unused, so it starts one node early. */
export const TREE_BASE = HEADER_WORDS;

/** The run length in a head tag; the bits above it hold the run's label. */
export const COUNT_MASK = 0xffffff;
export const LABEL_SHIFT = 24;
/** The largest label a run can carry. */
export const MAX_LABEL = 127;
/** The tag of a page in the single-page cache: negative like a tail tag, but no run is that long. */
export const CACHED_TAG = -0x40000000;
/** The tag of a free page that was not zeroed when unmapped: -1, which no tail (-n for n >= 2) has. */
export const DIRTY_TAG = -1;

/** The word index of the first run tag. */
export function tagBase(leaves: number): number {
  return TREE_BASE + treeWords(leaves);
}

/** The Int32 words of metadata for `pages` pages. */
export function metaWords(pages: number, leaves: number): number {
  return tagBase(leaves) + pages;
}

/** The smallest power of two at least `n`. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/*
 * The redo log. A change to the page state (tags, tree, mapped counter) is staged in the log, made active,
 * applied, and made inactive, all while holding the page lock:
 *
 *   stage: LOG_START/COUNT/USED/MAPPED, up to 4 tag writes (unused slots have page -1), and a page
 *          leaving a page cache (LOG_CACHE_AT: the cache's stack, -1 when none; LOG_CACHE_COUNT: its
 *          count after): plain stores
 *   LOG_ACTIVE = 1          <- from here a replay produces the same final state
 *   apply: tag writes, tree.assign (when LOG_COUNT > 0), MAPPED = LOG_MAPPED, the stack's count and the
 *          word above it cleared (each one idempotent: final values only)
 *   LOG_ACTIVE = 0
 *
 * A worker terminated at any instruction leaves either no active log (nothing changed, or everything did) or
 * an active one, which the next holder replays: after AddressSpace.recover, or after a holder threw while
 * applying. The log's plain stores are ordered before LOG_ACTIVE = 1 by program order for the same worker, and
 * for another worker by the lock's Atomics (a live handover) or by the engine joining the terminated worker's
 * thread before its 'exit' event (a takeover).
 */
