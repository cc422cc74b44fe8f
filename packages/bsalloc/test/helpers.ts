import { AddressSpace } from "@allocators/mmap-alloc";
import { BsAlloc, type BsAllocOptions } from "../src/index.js";

/** A shared address space of `maxBytes` and a fresh allocator in it. */
export function freshAlloc(
  maxBytes = 64 << 20,
  options: BsAllocOptions = {},
): { space: AddressSpace; bs: BsAlloc } {
  const space = AddressSpace.create({ maxBytes, backing: "shared" });
  return { space, bs: BsAlloc.create(space, options) };
}

/** Writes a pattern of `seed` over `size` bytes at `ptr` (all bytes up to 4 KiB, then the ends and a stride). */
export function stamp(bs: BsAlloc, ptr: number, size: number, seed: number): void {
  const u8 = bs.memory.u8;
  for (const i of positions(size)) u8[ptr + i] = (seed + i * 31) & 0xff;
}

/** True when the pattern of {@link stamp} is intact. */
export function intact(bs: BsAlloc, ptr: number, size: number, seed: number): boolean {
  const u8 = bs.memory.u8;
  for (const i of positions(size)) if (u8[ptr + i] !== ((seed + i * 31) & 0xff)) return false;
  return true;
}

function* positions(size: number): Generator<number> {
  if (size <= 4096) {
    for (let i = 0; i < size; i++) yield i;
    return;
  }
  for (let i = 0; i < 64; i++) yield i;
  for (let i = 64; i < size - 64; i += 509) yield i;
  for (let i = size - 64; i < size; i++) yield i;
}

/** Total live chunks over every class. */
export function liveChunks(bs: BsAlloc): number {
  return bs.stats().classes.reduce((sum, c) => sum + c.live, 0);
}
