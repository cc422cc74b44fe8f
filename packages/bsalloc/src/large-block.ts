/**
 * Large blocks: requests above the largest chunk, each mapped directly from the address space with a 64-byte
 * header in front, at the same place relative to the block as a segment's header is relative to a chunk:
 * `header = alignDown(ptr - 1, SEGMENT_BYTES)`. So a pointer alone finds its header, small or large.
 *
 * ```
 *  align <= 64 KiB (offset = max(64, align) <= SEGMENT_BYTES):
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
 * Freeing is one CAS of the state from live to freed, then the unmap: of two racing frees exactly one unmaps,
 * and a free after the unmap finds a freed state (or, once the pages are reused, no valid header).
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { SEGMENT_BYTES } from "./size-classes.js";

/** 'BSLG' */
export const LARGE_MAGIC = 0x42534c47;

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
  return (ptr - 1) - ((ptr - 1) % SEGMENT_BYTES);
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

/** Unmaps the retired block headed at `header`; returns the bytes the mapping held. */
export function unmapLarge(space: AddressSpace, header: number): number {
  const i32 = space.i32;
  const base = i32[(header >>> 2) + BASE] >>> 0;
  const bytes = i32[(header >>> 2) + BYTES] >>> 0;
  space.unmap(base, bytes);
  return bytes;
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
