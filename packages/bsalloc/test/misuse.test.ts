import { describe, expect, it } from "vitest";
import { BsAlloc } from "../src/index.js";
import { freshAlloc } from "./helpers.js";

describe("invalid arguments", () => {
  it("throws a RangeError naming size or align, and allocates nothing", () => {
    const { bs } = freshAlloc();
    const ptr = bs.alloc(8);
    const before = bs.stats();
    for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32 + 1]) {
      expect(() => bs.alloc(size)).toThrow(/size/);
      expect(() => bs.allocZeroed(size)).toThrow(RangeError);
    }
    for (const align of [0, 3, 48, -8, 2 ** 32, 0.5]) {
      expect(() => bs.alloc(8, align)).toThrow(/align/);
    }
    expect(() => bs.realloc(ptr, -1)).toThrow(/newSize/);
    expect(() => bs.realloc(ptr, 8, 6)).toThrow(/align/);
    expect(() => bs.dealloc(-1)).toThrow(/ptr/);
    expect(() => bs.dealloc(ptr, -2)).toThrow(/size/);
    expect(() => bs.dealloc(ptr, 65)).toThrow(/size/);
    expect(() => bs.dealloc(ptr, 8, 5)).toThrow(/align/);
    expect(() => bs.dealloc(ptr, 8, 128)).toThrow(/align/);
    expect(bs.owns(ptr)).toBe(true);
    expect(bs.stats()).toEqual(before);
    expect(bs.stats().classes[0]).toMatchObject({ live: 1, cached: 0 });
    bs.dealloc(ptr, 64, 64);
    expect(bs.stats().classes[0]).toMatchObject({ live: 0, cached: 1 });
    expect(bs.check()).toEqual([]);
    expect(() => BsAlloc.create(freshAlloc().space, { cacheSlots: 12 })).toThrow(/cacheSlots/);
    expect(() => BsAlloc.create(freshAlloc().space, { cacheSlots: 2048 })).toThrow(/cacheSlots/);
  });

  it("treats null as nothing to free", () => {
    const { bs } = freshAlloc();
    bs.dealloc(0);
    expect(bs.owns(0)).toBe(false);
    expect(() => bs.usableSize(0)).toThrow(/ptr/);
  });
});

describe("double free and foreign pointers", () => {
  it("detects a double free of a chunk, cached or back in its segment, and leaves the caches sound", () => {
    const { bs } = freshAlloc(64 << 20, { cacheSlots: 1 });
    const cached = bs.alloc(100);
    const released = bs.alloc(100);
    bs.dealloc(cached); // fills the single cache slot
    bs.dealloc(released); // goes back to its segment
    const snapshot = JSON.stringify(bs.stats());
    expect(() => bs.dealloc(cached)).toThrow(/ptr.*not freed already/);
    expect(() => bs.dealloc(released)).toThrow(RangeError);
    expect(JSON.stringify(bs.stats())).toBe(snapshot);
    expect(bs.check()).toEqual([]);
    const a = bs.alloc(100);
    const b = bs.alloc(100);
    const c = bs.alloc(100);
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("detects a double free of a large block", () => {
    const { bs } = freshAlloc();
    const ptr = bs.alloc(100_000);
    bs.dealloc(ptr);
    expect(() => bs.dealloc(ptr)).toThrow(RangeError);
    expect(bs.stats().largeBlocks).toBe(0);
  });

  it("rejects pointers it never handed out: interior, never allocated, unmapped, out of the space", () => {
    const { space, bs } = freshAlloc(16 << 20);
    const chunk = bs.alloc(1000);
    const large = bs.alloc(50_000);
    const mapped = space.map(8192);
    for (const ptr of [
      chunk + 8,
      chunk + 1024,
      large + 64,
      large - 64,
      mapped,
      mapped + 64,
      16 << 20,
      2 ** 32 - 1,
    ]) {
      expect(() => bs.dealloc(ptr)).toThrow(/ptr/);
      expect(() => bs.usableSize(ptr)).toThrow(RangeError);
      expect(() => bs.realloc(ptr, 10)).toThrow(RangeError);
      expect(bs.owns(ptr)).toBe(false);
    }
    expect(bs.owns(chunk)).toBe(true);
    expect(bs.owns(large)).toBe(true);
    expect(bs.check()).toEqual([]);
  });
});
