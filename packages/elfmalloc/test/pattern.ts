import type { ElfMalloc } from "../src/index.js";

/**
 * Writes a block's test pattern: its length (u32) at the start, then bytes derived from the address, so a
 * block that overlaps another or moves without its contents fails {@link verifyBlock}.
 */
export function fillBlock(heap: ElfMalloc, ptr: number, length: number): void {
  heap.u32[ptr >>> 2] = length;
  const u8 = heap.u8;
  for (let i = 4; i < length; i++) u8[ptr + i] = (ptr * 7 + i) & 0xff;
}

/**
 * True when the block at `ptr` still holds the pattern {@link fillBlock} wrote. After a realloc to `size`,
 * pass `origin` (the block's address when it was filled) and `size`: then only the bytes realloc keeps, the
 * first `min(old length, size)`, are compared.
 */
export function verifyBlock(
  heap: ElfMalloc,
  ptr: number,
  origin?: number,
  size = Number.POSITIVE_INFINITY,
): boolean {
  const stored = heap.u32[ptr >>> 2];
  const usable = heap.usableSize(ptr);
  if (origin === undefined && stored > usable) return false;
  const seed = origin ?? ptr;
  const u8 = heap.u8;
  for (let i = 4; i < Math.min(stored, usable, size); i++)
    if (u8[ptr + i] !== ((seed * 7 + i) & 0xff)) return false;
  return true;
}
