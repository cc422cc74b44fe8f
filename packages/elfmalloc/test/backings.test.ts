import type { Backing } from "@allocators/mmap-alloc";
import { describe, expect, it } from "vitest";
import { ElfMalloc } from "../src/index.js";
import { fillBlock, verifyBlock } from "./pattern.js";

const MiB = 1 << 20;

describe("backings", () => {
  it("shares a wasm module's own memory above its data", () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 512, shared: true });
    new Uint8Array(memory.buffer).fill(0x5a, 0, 65536); // the module's data
    const heap = ElfMalloc.create({ maxBytes: 32 * MiB, backing: memory, base: 65536 });
    const blocks = Array.from({ length: 3000 }, (_, i) => heap.malloc(16 + (i % 700)));
    const large = heap.malloc(3 * MiB);
    for (const ptr of [...blocks, large]) {
      expect(ptr).toBeGreaterThanOrEqual(65536);
      fillBlock(heap, ptr, 16);
    }
    expect(memory.buffer.byteLength).toBeGreaterThan(3 * MiB);
    expect(new Uint8Array(memory.buffer).subarray(0, 65536).every((b) => b === 0x5a)).toBe(true);
    for (const ptr of blocks) expect(verifyBlock(heap, ptr)).toBe(true);
    for (const ptr of [...blocks, large]) heap.free(ptr);
    expect(heap.check()).toEqual([]);
    heap.detach();
  });

  it("works single-threaded on a resizable ArrayBuffer and an unshared wasm memory that detaches", () => {
    const backings: Backing[] = ["local", new WebAssembly.Memory({ initial: 1, maximum: 1024 })];
    for (const backing of backings) {
      const heap = ElfMalloc.create({ maxBytes: 60 * MiB, backing });
      const blocks = Array.from({ length: 2000 }, (_, i) => heap.malloc(100 + (i % 500) * 37));
      for (const ptr of blocks) fillBlock(heap, ptr, 64);
      for (const ptr of blocks) expect(verifyBlock(heap, ptr)).toBe(true);
      for (const ptr of blocks) heap.free(ptr);
      expect(heap.check()).toEqual([]);
      heap.detach();
    }
  });

  it("loses no slab when a refill grows an unshared wasm memory (its old views detach)", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
    const heap = ElfMalloc.create({ maxBytes: 60 * MiB, backing: memory });
    for (const size of [64, 200, 1000, 3000]) {
      const blocks = Array.from({ length: 4000 }, () => heap.malloc(size));
      for (const ptr of blocks) heap.free(ptr);
    }
    heap.trim();
    const stats = heap.stats();
    expect(stats.liveBytes).toBe(0);
    expect(stats.slabBytes).toBe(stats.pooledBytes);
    heap.detach();
  });

  it("returns the thread's caches on dispose, and refuses use afterwards", () => {
    const heap = ElfMalloc.create({ maxBytes: 64 * MiB });
    const other = ElfMalloc.attach(heap.share());
    {
      using scoped = ElfMalloc.attach(heap.share());
      scoped.free(scoped.malloc(64));
      expect(heap.stats().threads).toBe(3);
    }
    expect(heap.stats().threads).toBe(2);
    other.detach();
    expect(() => other.malloc(64)).toThrow(/detached/);
    expect(heap.stats().cachedBytes).toBe(0);
    heap.detach();
  });
});

describe("views after another handle grew the heap", () => {
  it("covers slabs another handle mapped past the length this handle last saw, once they are reused here", () => {
    const a = ElfMalloc.create({ maxBytes: 64 * MiB });
    const b = ElfMalloc.attach(a.share());
    const before = a.u8.length;
    // b maps slabs past the buffer's length when a last looked at it, then frees them: back to the pool.
    const blocks = Array.from({ length: 20_000 }, () => b.malloc(64));
    expect(Math.max(...blocks)).toBeGreaterThan(before);
    for (const p of blocks) b.free(p);
    b.detach();
    // a takes those slabs: its views must reach them.
    const mine = Array.from({ length: 20_000 }, (_, i) => {
      const p = a.malloc(64);
      a.u8[p] = i & 255;
      return p;
    });
    expect(Math.max(...mine)).toBeGreaterThan(before);
    expect(mine.map((p) => a.u8[p])).toEqual(mine.map((_, i) => i & 255));
    for (const p of mine) a.free(p);
    expect(a.check()).toEqual([]);
  });
});
