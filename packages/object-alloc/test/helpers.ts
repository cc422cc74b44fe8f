import { type Alloc, ArenaAlloc, type BlockOwner, MemoryViews } from "../src/index.js";

/** A 64 KiB memory split into two arenas, so combinators have two real allocators on one memory. */
export function twoArenas(
  split = 32768,
  size = 65536,
): { memory: MemoryViews; low: ArenaAlloc; high: ArenaAlloc } {
  const memory = new MemoryViews(new ArrayBuffer(size));
  return { memory, low: new ArenaAlloc(memory, 0, split), high: new ArenaAlloc(memory, split, size) };
}

/** Fills `size` bytes at `ptr` with a pattern derived from `seed`. */
export function fill(alloc: Alloc, ptr: number, size: number, seed: number): void {
  for (let i = 0; i < size; i++) alloc.memory.u8[ptr + i] = (seed + i * 7) & 0xff;
}

/** True when `size` bytes at `ptr` still hold the pattern of {@link fill}. */
export function holds(alloc: Alloc, ptr: number, size: number, seed: number): boolean {
  for (let i = 0; i < size; i++) if (alloc.memory.u8[ptr + i] !== ((seed + i * 7) & 0xff)) return false;
  return true;
}

/** An arena that hides `owns`, for the combinators that must reject or work around it. */
export function withoutOwns(arena: ArenaAlloc): Alloc {
  return {
    memory: arena.memory,
    alloc: (size, align) => arena.alloc(size, align),
    allocZeroed: (size, align) => arena.allocZeroed(size, align),
    dealloc: (ptr) => arena.dealloc(ptr),
    realloc: (ptr, size, align) => arena.realloc(ptr, size, align),
    usableSize: (ptr) => arena.usableSize(ptr),
  };
}

export type Owner = Alloc & BlockOwner;
