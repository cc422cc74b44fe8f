import { describe, expect, it } from "vitest";
import { ArenaAlloc, MemoryViews, NULL } from "../src/index.js";
import { fill, holds } from "./helpers.js";

function arena(size = 4096, start = 0): ArenaAlloc {
  return new ArenaAlloc(new MemoryViews(new ArrayBuffer(start + size)), start, start + size);
}

describe("ArenaAlloc", () => {
  it("bumps aligned, non-overlapping, non-null blocks", () => {
    const a = arena();
    const blocks = [a.alloc(3), a.alloc(10, 16), a.alloc(0), a.alloc(0), a.alloc(5, 64)];
    expect(blocks.every((p) => p !== NULL)).toBe(true);
    expect(blocks[1] % 16).toBe(0);
    expect(blocks[4] % 64).toBe(0);
    expect(new Set(blocks).size).toBe(blocks.length);
    for (let i = 1; i < blocks.length; i++)
      expect(blocks[i]).toBeGreaterThanOrEqual(blocks[i - 1] + a.usableSize(blocks[i - 1]));
    expect(a.usableSize(blocks[1])).toBe(10);
  });

  it("returns NULL when full and stays usable", () => {
    const a = arena(256);
    expect(a.alloc(300)).toBe(NULL);
    const p = a.alloc(100);
    expect(p).not.toBe(NULL);
    expect(a.alloc(200)).toBe(NULL);
    expect(a.alloc(100)).not.toBe(NULL);
  });

  it("validates arguments and region", () => {
    const a = arena();
    expect(() => a.alloc(-1)).toThrow(/^size must be/);
    expect(() => a.alloc(8, 3)).toThrow(/^align must be/);
    expect(() => a.usableSize(1.5)).toThrow(/^ptr must be/);
    expect(() => a.usableSize(2048)).toThrow(/not a block of this arena/);
    const memory = new MemoryViews(new ArrayBuffer(1024));
    expect(() => new ArenaAlloc(memory, 0, 2048)).toThrow(/^end must be/);
    expect(() => new ArenaAlloc(memory, 512, 256)).toThrow(/end must be at least start/);
  });

  it("frees the last block in place, ignores others", () => {
    const a = arena();
    const first = a.alloc(16);
    const last = a.alloc(16);
    const top = a.top;
    a.dealloc(first);
    expect(a.top).toBe(top);
    a.dealloc(last);
    expect(a.top).toBeLessThan(top);
    expect(a.alloc(16)).toBe(last);
    a.dealloc(NULL);
  });

  it("frees a scope on return and on throw, nested", () => {
    const a = arena();
    const kept = a.alloc(8);
    const outer = a.scope(() => {
      const x = a.alloc(100);
      a.scope(() => a.alloc(500));
      expect(a.alloc(1)).toBeLessThan(x + 500);
      return x;
    });
    expect(a.top).toBe(kept + 8);
    expect(() =>
      a.scope(() => {
        a.alloc(1000);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(a.top).toBe(kept + 8);
    expect(a.alloc(100)).toBe(outer);
  });

  it("rejects an async scope after freeing it", () => {
    const a = arena();
    const top = a.top;
    expect(() => a.scope(async () => a.alloc(8))).toThrow(TypeError);
    expect(a.top).toBe(top);
  });

  it("reallocs in place at the top, by copy elsewhere, keeping contents and alignment", () => {
    const a = arena();
    const p = a.alloc(16, 32);
    fill(a, p, 16, 1);
    expect(a.realloc(p, 64)).toBe(p);
    expect(holds(a, p, 16, 1)).toBe(true);
    const q = a.alloc(8);
    fill(a, p, 64, 2);
    const moved = a.realloc(p, 128, 32);
    expect(moved).not.toBe(p);
    expect(moved % 32).toBe(0);
    expect(holds(a, moved, 64, 2)).toBe(true);
    expect(a.realloc(q, 4)).toBe(q);
    expect(a.usableSize(q)).toBe(4);
    expect(a.realloc(moved, 100_000)).toBe(NULL);
    expect(holds(a, moved, 64, 2)).toBe(true);
    expect(a.realloc(NULL, 8)).not.toBe(NULL);
  });

  it("zeroes reused memory in allocZeroed", () => {
    const a = arena();
    a.scope(() => fill(a, a.alloc(64), 64, 9));
    const z = a.allocZeroed(64);
    expect(Array.from(a.memory.u8.subarray(z, z + 64)).every((b) => b === 0)).toBe(true);
  });

  it("knows what it owns", () => {
    const a = arena(1024, 1024);
    const p = a.alloc(8);
    expect(a.owns(p)).toBe(true);
    expect(a.owns(512)).toBe(false);
    expect(a.owns(p + 100)).toBe(false);
    a.reset();
    expect(a.owns(p)).toBe(false);
    expect(a.used).toBe(0);
  });
});
