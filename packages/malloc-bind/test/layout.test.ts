import { ArenaAlloc, MemoryViews } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { bindMalloc } from "../src/index.js";
import { MapFinder } from "./helpers/backends.js";
import { SizedArena } from "./helpers/sized-arena.js";

const HEAP = 1 << 20;

describe("layout finding", () => {
  it("uses the allocator's own lookup when it has usableSize: no header, blocks are the allocator's", () => {
    const arena = new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP);
    const c = bindMalloc(arena);
    const p = c.malloc(100);
    expect(arena.usableSize(p)).toBe(100);
    expect(arena.top).toBe(p + 100);
    c.free(p);
    expect(arena.top).toBe(p - 4); // the arena itself took the block back (down to its own header)
  });

  it("puts a header (size, alignment offset) in front of each block of an allocator without lookup", () => {
    const raw = new SizedArena(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP);
    const c = bindMalloc(raw);
    const blocks = [c.malloc(10), c.memalign(4096, 5), c.calloc(3, 7), c.valloc(1), c.realloc(0, 33)];
    expect(blocks.map((p) => c.memory.u32[(p - 8) / 4])).toEqual([10, 5, 21, 1, 33]);
    expect(c.memory.u32[(blocks[1] - 4) / 4]).toBe(4096);
    expect(raw.liveBlocks).toBe(5);
    for (const p of blocks) c.free(p); // SizedArena throws unless each (raw ptr, size, align) is exact
    expect(raw.liveBlocks).toBe(0);
  });

  it("rejects a pointer with no valid header in front of it, before the allocator sees it", () => {
    const raw = new SizedArena(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP);
    const c = bindMalloc(raw);
    const p = c.malloc(64);
    expect(() => c.free(p + 8)).toThrow(/not a block of this malloc/);
    expect(() => c.free(p + 3)).toThrow(/not a block/);
    expect(() => c.malloc_usable_size(HEAP + 64)).toThrow(/not a block/);
    expect(raw.liveBlocks).toBe(1);
  });

  it("asks a layout finder, inserting after each allocation and deleting before each free", () => {
    const raw = new SizedArena(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP);
    const finder = new MapFinder();
    const c = bindMalloc(raw, { finder });
    const p = c.aligned_alloc(256, 512);
    expect(finder.layouts.get(p)).toEqual({ size: 512, align: 256 });
    const q = c.realloc(p, 2000);
    expect(finder.layouts.has(p)).toBe(false);
    expect(finder.layouts.get(q)).toEqual({ size: 2000, align: 16 });
    expect(c.malloc_usable_size(q)).toBe(2000);
    c.free(q);
    expect(finder.layouts.size).toBe(0);
    expect(raw.liveBlocks).toBe(0);
  });

  it("zeroes calloc blocks itself when the allocator has no allocZeroed, and uses it when it has", () => {
    const memory = new MemoryViews(new ArrayBuffer(HEAP));
    memory.u8.fill(0xee);
    const raw = new SizedArena(memory, 64, HEAP);
    const c = bindMalloc(raw);
    const p = c.calloc(10, 10);
    expect(memory.u8.subarray(p, p + 100).every((b) => b === 0)).toBe(true);
    let zeroedCalls = 0;
    const withZeroed = Object.assign(new SizedArena(memory, HEAP / 2, HEAP), {
      allocZeroed(this: SizedArena, size: number, align: number) {
        zeroedCalls++;
        const ptr = this.alloc(size, align);
        memory.u8.fill(0, ptr, ptr + size);
        return ptr;
      },
    });
    expect(bindMalloc(withZeroed).calloc(4, 4)).not.toBe(0);
    expect(zeroedCalls).toBe(1);
  });
});
