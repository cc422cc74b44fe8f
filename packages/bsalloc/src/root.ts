/**
 * The root: the allocator's shared state, mapped from the address space at creation. Every handle (in any
 * worker) addresses the same root, so every field here is shared and changed only by atomics.
 *
 * ```
 *  root (one mapping, page-aligned)
 *  +0    magic 'BSAL'                 +64 + 64*c   class c line:  +0 head of its segment list
 *  +4    root bytes (the mapping)                                 +4 hint: a segment that had a chunk freed
 *  +8    cache slots per class (2^k)
 *  +12   live large blocks
 *  +16   live large bytes (mod 2^32)
 *  +20   large cache eviction counter
 *  +32   large cache: mmap-alloc's RunCache, 4 slots of 2 words
 *        (a freed large block's pointer, 0 = empty; its usable bytes) up to +63
 *                                     +CACHES + c * slotBytes   class c cache: slots of chunk pointers (0 = empty)
 * ```
 *
 * Segment lists only grow (push by CAS on the head, segments are never unmapped), so walking them needs no
 * protection against reclamation and the push has no ABA problem.
 *
 * @module
 */
import { CLASS_COUNT } from "./size-classes.js";

/** 'BSAL' */
export const ROOT_MAGIC = 0x4253414c;

/** i32 indices (relative to the root) of the scalar fields. */
export const ROOT = {
  MAGIC: 0,
  BYTES: 1,
  CACHE_SLOTS: 2,
  LARGE_BLOCKS: 3,
  LARGE_BYTES: 4,
  LARGE_VICTIM: 5,
  LARGE_CACHE: 8,
} as const;

const CLASS_LINES = 64;
/** Byte offset of the first cache. */
const CACHES = CLASS_LINES + 64 * CLASS_COUNT;

/** i32 index (relative to the root) of the head of class `cls`'s segment list. */
export function headIndex(cls: number): number {
  return (CLASS_LINES + 64 * cls) >>> 2;
}

/** i32 index (relative to the root) of class `cls`'s hint segment. */
export function hintIndex(cls: number): number {
  return headIndex(cls) + 1;
}

/** Bytes of one class cache of `slots` slots, padded to whole cache lines so classes share no line. */
function cacheBytes(slots: number): number {
  return Math.ceil((slots * 4) / 64) * 64;
}

/** i32 index (relative to the root) of class `cls`'s first cache slot. */
export function cacheIndex(cls: number, slots: number): number {
  return (CACHES + cls * cacheBytes(slots)) >>> 2;
}

/** The bytes a root with `slots` cache slots per class needs. */
export function rootBytes(slots: number): number {
  return CACHES + CLASS_COUNT * cacheBytes(slots);
}

/** Writes a fresh root in the zeroed mapping `root` of `bytes`. Plain writes: the root is not shared yet. */
export function initRoot(i32: Int32Array, root: number, bytes: number, slots: number): void {
  const r = root >>> 2;
  i32[r + ROOT.BYTES] = bytes | 0;
  i32[r + ROOT.CACHE_SLOTS] = slots;
  Atomics.store(i32, r + ROOT.MAGIC, ROOT_MAGIC);
}
