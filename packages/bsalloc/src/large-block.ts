/**
 * Large blocks: requests above the largest chunk, each mapped directly from the address space with a 64-byte
 * header in front, at the same place relative to the block as a segment's header is relative to a chunk:
 * `header = alignDown(ptr - 1, SEGMENT_BYTES)`. So a pointer alone finds its header, small or large.
 *
 * ```
 *  align <= 128 KiB (offset = max(64, align) <= SEGMENT_BYTES):
 *  base (SEGMENT_BYTES-aligned)
 *  +--------+---------------+--------------------------------+------+
 *  | header | pad to align  | block (ptr = base + offset)    | tail |   mapping = round up(offset + size, page)
 *  +--------+---------------+--------------------------------+------+
 *
 *  align > SEGMENT_BYTES (offset = align): the header sits SEGMENT_BYTES below the block
 *  base (align-aligned)             ptr - SEGMENT_BYTES    ptr = base + align
 *  +--------------------------------+--------+-------------+--------------------------------+
 *  | unused                         | header |             | block                          |
 *  +--------------------------------+--------+-------------+--------------------------------+
 *
 *  header: +0 magic 'BSLG'  +4 owner (root)  +8 state (1 live, 2 freed)  +12 mapping base
 *          +16 mapping bytes  +20 ptr  +24 log2 of the requested alignment
 * ```
 *
 * Freeing is one CAS of the state from live to freed (of two racing frees exactly one wins), then the block
 * goes to the large cache or is unmapped. A free of a freed block finds the freed state, or, once unmapped
 * (the space zeroes unmapped pages), no header at all.
 *
 * The large cache: mmap-alloc's {@link RunCache} over {@link LARGE_CACHE_SLOTS} slots in the root keeps freed
 * blocks whose mappings are at most {@link LARGE_CACHE_MAX_BYTES}, for reuse by a request they fit without
 * wasting half of their usable bytes. Mapping and unmapping take the address space's lock and zero every page,
 * so a block that is freed and allocated again (a queue that grows and shrinks, a table rebuilt) would
 * otherwise pay both each time. A slot holds the block's pointer; the header says what the block is.
 *
 * @module
 */
import { type AddressSpace, RunCache } from "@allocators/mmap-alloc";
import { SEGMENT_BYTES } from "./size-classes.js";

/** 'BSLG' */
export const LARGE_MAGIC = 0x42534c47;

/** Freed large blocks kept mapped for reuse. */
export const LARGE_CACHE_SLOTS = 4;
/** The largest mapping the large cache keeps: at most 4 x 4 MiB stay mapped for reuse. */
export const LARGE_CACHE_MAX_BYTES = 4 << 20;

const HEADER_BYTES = 64;
const MAGIC = 0;
const OWNER = 1;
const STATE = 2;
const BASE = 3;
const BYTES = 4;
const PTR = 5;
const ALIGN_LOG = 6;
const LIVE = 1;
const FREED = 2;

/** The shape of the large cache, whose slots sit in the root at `ROOT.LARGE_CACHE` (root.ts). */
export const LARGE_CACHE = new RunCache(LARGE_CACHE_SLOTS);

/**
 * Maps a block of `size` bytes aligned to `align` (a power of two) for the allocator `owner`, or returns 0
 * when the space cannot hold it.
 */
export function mapLarge(space: AddressSpace, owner: number, size: number, align: number): number {
  const offset = Math.max(HEADER_BYTES, align);
  const bytes = Math.ceil((offset + size) / space.pageSize) * space.pageSize;
  if (bytes > space.maxBytes) return 0;
  const base = space.map(bytes, Math.max(SEGMENT_BYTES, align));
  if (base === 0) return 0;
  const ptr = base + offset;
  const h = headerOf(ptr) >>> 2;
  const i32 = space.i32; // read after map: the space may have grown
  i32[h + OWNER] = owner | 0;
  i32[h + BASE] = base | 0;
  i32[h + BYTES] = bytes | 0;
  i32[h + PTR] = ptr | 0;
  i32[h + ALIGN_LOG] = Math.log2(align);
  i32[h + STATE] = LIVE;
  i32[h + MAGIC] = LARGE_MAGIC;
  return ptr;
}

/** The header address of the block (or chunk) `ptr`. */
export function headerOf(ptr: number): number {
  return ptr - 1 - ((ptr - 1) % SEGMENT_BYTES);
}

/** True when `header` heads the large block `ptr` of the allocator `owner` (live or freed). */
export function isLargeHeader(i32: Int32Array, header: number, owner: number, ptr: number): boolean {
  const h = header >>> 2;
  return i32[h + MAGIC] === LARGE_MAGIC && i32[h + OWNER] === (owner | 0) && i32[h + PTR] >>> 0 === ptr;
}

/** True when the large block headed at `header` is live. */
export function isLiveLarge(i32: Int32Array, header: number): boolean {
  return Atomics.load(i32, (header >>> 2) + STATE) === LIVE;
}

/** Marks the block freed; false, with nothing changed, when it was not live (a double free). */
export function retireLarge(i32: Int32Array, header: number): boolean {
  return Atomics.compareExchange(i32, (header >>> 2) + STATE, LIVE, FREED) === LIVE;
}

/** Unmaps the retired block headed at `header`. */
export function unmapLarge(space: AddressSpace, header: number): void {
  const i32 = space.i32;
  space.unmap(i32[(header >>> 2) + BASE] >>> 0, i32[(header >>> 2) + BYTES] >>> 0);
}

/** The bytes the mapping of the block headed at `header` holds. */
export function largeMappedBytes(i32: Int32Array, header: number): number {
  return i32[(header >>> 2) + BYTES] >>> 0;
}

/** The usable bytes of the block `ptr` headed at `header`: up to the end of its mapping. */
export function largeUsable(i32: Int32Array, header: number, ptr: number): number {
  const h = header >>> 2;
  return (i32[h + BASE] >>> 0) + (i32[h + BYTES] >>> 0) - ptr;
}

/** The alignment requested for the block headed at `header`. */
export function largeAlign(i32: Int32Array, header: number): number {
  return 2 ** i32[(header >>> 2) + ALIGN_LOG];
}

/**
 * Takes from the large cache at i32 index `slots0` a freed block that holds `size` bytes aligned to `align`
 * and is less than twice as large, makes it live, and returns it; 0 when none fits.
 */
export function takeCachedLarge(space: AddressSpace, slots0: number, size: number, align: number): number {
  const i32 = space.i32;
  for (;;) {
    const ptr = LARGE_CACHE.take(i32, slots0, size, align, 2 * size - 1);
    if (ptr === 0) return 0;
    if (ptr < 0) {
      unmapLarge(space, headerOf(-ptr)); // changed in the cache while it was being taken: no longer fits
      continue;
    }
    const h = headerOf(ptr) >>> 2;
    i32[h + ALIGN_LOG] = Math.log2(align);
    Atomics.store(i32, h + STATE, LIVE);
    return ptr;
  }
}

/**
 * Puts the retired block `ptr` in the large cache at i32 index `slots0`: in an empty slot, else in place of the
 * block in the slot that `victims` (a root counter) names next, which is unmapped. So the cache holds the
 * blocks freed last, not ones that no longer fit anything. Blocks of more than {@link LARGE_CACHE_MAX_BYTES}
 * are unmapped at once.
 */
export function cacheOrUnmapLarge(space: AddressSpace, slots0: number, victims: number, ptr: number): void {
  const i32 = space.i32;
  const header = headerOf(ptr);
  if (largeMappedBytes(i32, header) > LARGE_CACHE_MAX_BYTES) {
    unmapLarge(space, header);
    return;
  }
  const evicted = LARGE_CACHE.offer(i32, slots0, ptr, largeUsable(i32, header, ptr), victims);
  if (evicted !== 0) unmapLarge(space, headerOf(evicted));
}
