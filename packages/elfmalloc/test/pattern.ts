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
 * True when the block at `ptr` still holds the pattern {@link fillBlock} wrote at `origin` (its address before
 * a realloc moved it), up to the recorded length or the block's usable size, whichever is smaller.
 */
export function verifyBlock(heap: ElfMalloc, ptr: number, origin = ptr): boolean {
  const stored = heap.u32[ptr >>> 2];
  const usable = heap.usableSize(ptr);
  if (origin === ptr && stored > usable) return false;
  const u8 = heap.u8;
  for (let i = 4; i < Math.min(stored, usable); i++) if (u8[ptr + i] !== ((origin * 7 + i) & 0xff)) return false;
  return true;
}
