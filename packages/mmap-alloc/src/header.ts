/**
 * The space header: where an address space keeps all of its state, inside the buffer it manages, and how it
 * is laid out, written at creation and checked at attach.
 *
 * @module
 */
import { assertAlign, assertSize, nextPowerOfTwo } from "@allocators/object-alloc";
import type { Backing } from "./backing.js";
import { PageTree, treeWords } from "./page-tree.js";

/** Options of {@link AddressSpace.create}. */
export interface AddressSpaceOptions {
  /** The most bytes the buffer may ever hold (rounded down to the page size), metadata included; up to 2^32. */
  maxBytes: number;
  /** The bytes the buffer starts with (at least the metadata; rounded up to the page size). */
  initialBytes?: number;
  /** A power of two from 4096 (the default) to 2^30. */
  pageSize?: number;
  /** Where the memory comes from; `"shared"` by default. */
  backing?: Backing;
  /** Bytes at the start of the buffer the space must not touch (a wasm module's own data); 0 by default. */
  base?: number;
}

/**
 * Layout of the metadata, at byte `metaBase` of the buffer (0, or the `base` given for a wasm memory rounded
 * up to 64 bytes). Everything is Int32 words; pages are numbered from byte 0 of the buffer. The space reads
 * it through its views of the whole buffer, so every index below is relative to the header's first word,
 * `metaBase / 4`.
 * ```
 * metaBase
 * | header: 1088 words                | page tree: 8 * leaves words | run tags: 1 word per page |pad| pages...
 * |MAGIC VERSION PAGE_SIZE PAGES ...  | (page-tree.ts)              | (run-tags.ts)             |   ^ firstPage
 *
 * header words:
 *  0 MAGIC       1 VERSION     2 PAGE_SIZE   3 PAGES (maxBytes / pageSize)   4 LEAVES (power of two >= PAGES)
 *  5 FIRST_PAGE (first page after metadata)  6 LOCK (page-lock.ts)           7 HOLDERS (ids handed out)
 *  8 MAPPED (pages in runs and page caches)  9 GROWTHS
 * 10..24 the redo log (redo-log.ts)          25 LENGTH16 (the buffer's length / 16 as last grown, see below)
 * 31 CACHE_COUNT, 32..63 CACHE: the shared page cache, a stack of CACHE_COUNT pages (page-cache.ts)
 * 64..1087 HANDLE_CACHES: 64 x 16 words: the owner's holder id (0 = free), then a stack: count, 8 pages
 * ```
 * MAGIC is written last, with `Atomics.store`, so that an attacher never sees a half-written header.
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

/** The word index of the first run tag. */
export function tagBase(leaves: number): number {
  return TREE_BASE + treeWords(leaves);
}

/** The Int32 words of metadata for `pages` pages. */
export function metaWords(pages: number, leaves: number): number {
  return tagBase(leaves) + pages;
}

/** The shape a header describes, read back by every handle. */
export interface SpaceShape {
  readonly pageSize: number;
  readonly pages: number;
  readonly leaves: number;
  readonly firstPage: number;
}

/**
 * Initialises the metadata at word `h` of `m` (a view of the whole buffer): zeroes it unless the buffer is
 * `fresh` (zero is an all-free tree), then reserves the metadata and padding pages, and publishes the header.
 */
export function writeHeader(m: Int32Array, h: number, shape: SpaceShape, byteLength: number, fresh: boolean) {
  if (!fresh) m.fill(0, h, h + metaWords(shape.pages, shape.leaves));
  m[h + H_PAGE_SIZE] = shape.pageSize;
  m[h + H_PAGES] = shape.pages;
  m[h + H_LEAVES] = shape.leaves;
  m[h + H_FIRST_PAGE] = shape.firstPage;
  const tree = new PageTree(h + TREE_BASE, shape.leaves);
  tree.assign(m, 0, shape.firstPage, true);
  if (shape.leaves > shape.pages) tree.assign(m, shape.pages, shape.leaves - shape.pages, true);
  m[h + H_LENGTH16] = Math.floor(byteLength / 16);
  m[h + H_VERSION] = VERSION;
  // Last: an attacher that sees MAGIC sees everything above (Atomics.store is sequentially consistent).
  Atomics.store(m, h + H_MAGIC, MAGIC);
}

/**
 * The shape of the space whose header is at word `h` of `m`.
 * @throws TypeError when no header of this version is there.
 */
export function readHeader(m: Int32Array, h: number, metaBase: number): SpaceShape {
  if (m.length < h + HEADER_WORDS || Atomics.load(m, h + H_MAGIC) !== MAGIC || m[h + H_VERSION] !== VERSION) {
    throw new TypeError(`no mmap-alloc address space at byte ${metaBase} of this buffer`);
  }
  return {
    pageSize: m[h + H_PAGE_SIZE],
    pages: m[h + H_PAGES],
    leaves: m[h + H_LEAVES],
    firstPage: m[h + H_FIRST_PAGE],
  };
}

const DEFAULT_PAGE_SIZE = 4096;
const MAX_PAGE_SIZE = 2 ** 30;
const META_ALIGN = 64;

/** Where a new space's metadata goes, its shape, and the bytes its buffer starts with. */
export interface SpacePlan {
  readonly shape: SpaceShape;
  readonly metaBase: number;
  readonly initial: number;
}

/**
 * The plan of a space for `options`.
 * @throws RangeError naming the option when `maxBytes`, `initialBytes`, `pageSize` or `base` is invalid or
 * when `maxBytes` cannot hold the metadata and one page.
 */
export function planSpace(options: AddressSpaceOptions): SpacePlan {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  assertAlign(pageSize, "pageSize");
  if (pageSize < DEFAULT_PAGE_SIZE || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be a power of two from 4096 to ${MAX_PAGE_SIZE}; got ${pageSize}`);
  }
  assertSize(options.maxBytes, "maxBytes");
  const pages = Math.floor(options.maxBytes / pageSize);
  const maxBytes = pages * pageSize;
  const base = options.base ?? 0;
  assertSize(base, "base", maxBytes);
  const metaBase = Math.ceil(base / META_ALIGN) * META_ALIGN;
  const leaves = nextPowerOfTwo(pages);
  const firstPage = Math.ceil((metaBase + 4 * metaWords(pages, leaves)) / pageSize);
  if (firstPage >= pages) {
    throw new RangeError(
      `maxBytes must leave room for the metadata and one page: at least ${(firstPage + 1) * pageSize}; got ${options.maxBytes}`,
    );
  }
  const initialBytes = options.initialBytes ?? 0;
  assertSize(initialBytes, "initialBytes", maxBytes);
  const initial = Math.max(initialBytes, firstPage * pageSize);
  return { shape: { pageSize, pages, leaves, firstPage }, metaBase, initial };
}
