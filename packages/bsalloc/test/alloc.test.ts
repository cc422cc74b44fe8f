import { AddressSpace } from "@allocators/mmap-alloc";
import { describe, expect, it } from "vitest";
import { BsAlloc, CHUNK_SIZES, LARGEST_CHUNK } from "../src/index.js";
import { cacheIndex } from "../src/root.js";
import { freshAlloc, intact, liveChunks, stamp } from "./helpers.js";

describe("size classes", () => {
  it("serves each request from the smallest chunk holding max(size, align), aligned to the chunk size", () => {
    const { bs } = freshAlloc();
    const cases: [number, number, number][] = [
      [0, 1, 64],
      [1, 1, 64],
      [64, 1, 64],
      [65, 1, 256],
      [8, 256, 256],
      [1000, 8, 1024],
      [4096, 64, 4096],
      [4097, 1, 16384],
      [LARGEST_CHUNK, 1, LARGEST_CHUNK],
    ];
    for (const [size, align, chunk] of cases) {
      const ptr = bs.alloc(size, align);
      expect(ptr).toBeGreaterThan(0);
      expect(bs.usableSize(ptr)).toBe(chunk);
      expect(ptr % chunk).toBe(0);
    }
    expect(bs.check()).toEqual([]);
  });

  it("maps larger requests directly, aligned as asked, and unmaps them on free", () => {
    const { bs } = freshAlloc();
    for (const [size, align] of [
      [LARGEST_CHUNK + 1, 1],
      [100_000, 64],
      [300_000, 4096],
      [20, 1 << 18],
      [70_000, 1 << 20],
    ]) {
      const ptr = bs.alloc(size, align);
      expect(ptr % align).toBe(0);
      expect(bs.usableSize(ptr)).toBeGreaterThanOrEqual(size);
      stamp(bs, ptr, bs.usableSize(ptr), size);
      expect(bs.stats().largeBlocks).toBe(1);
      expect(intact(bs, ptr, bs.usableSize(ptr), size)).toBe(true);
      bs.dealloc(ptr);
      expect(bs.stats()).toMatchObject({ largeBlocks: 0, largeBytes: 0 });
    }
    expect(bs.check()).toEqual([]);
  });

  it("keeps a few freed large blocks mapped, for requests they fit without wasting half", () => {
    const { bs } = freshAlloc();
    const ptr = bs.alloc(100_000);
    bs.memory.u8.fill(0xcd, ptr, ptr + 100_000);
    bs.dealloc(ptr);
    expect(bs.stats()).toMatchObject({ largeBlocks: 0, cachedLargeBlocks: 1 });
    expect(bs.owns(ptr)).toBe(false);
    expect(bs.alloc(40_000)).not.toBe(ptr); // would waste more than half
    const again = bs.allocZeroed(100_008);
    expect(again).toBe(ptr);
    expect(bs.memory.u8.subarray(again, again + 100_008).every((b) => b === 0)).toBe(true);
    const huge = bs.alloc(6 << 20);
    bs.dealloc(huge);
    expect(bs.stats().cachedLargeBytes).toBeLessThan(1 << 20); // too large to keep
    expect(bs.check()).toEqual([]);
  });

  it("gives distinct blocks for size 0", () => {
    const { bs } = freshAlloc();
    const a = bs.alloc(0);
    const b = bs.alloc(0);
    expect(a).not.toBe(0);
    expect(b).not.toBe(a);
  });

  it("zeroes recycled chunks for allocZeroed", () => {
    const { bs } = freshAlloc();
    for (const size of CHUNK_SIZES) {
      const dirty = bs.alloc(size);
      bs.memory.u8.fill(0xab, dirty, dirty + size);
      bs.dealloc(dirty);
      const clean = bs.allocZeroed(size);
      expect(clean).toBe(dirty);
      expect(bs.memory.u8.subarray(clean, clean + size).every((b) => b === 0)).toBe(true);
    }
    const large = bs.allocZeroed(100_000);
    expect(bs.memory.u8.subarray(large, large + 100_000).every((b) => b === 0)).toBe(true);
  });
});

describe("reuse", () => {
  it("hands a freed chunk out again, first from the class cache", () => {
    const { bs } = freshAlloc();
    const ptr = bs.alloc(100);
    bs.dealloc(ptr);
    expect(bs.stats().classes[1].cached).toBe(1);
    expect(bs.alloc(200)).toBe(ptr);
  });

  it("reuses every freed chunk, cached or back in its segment, before mapping a new segment", () => {
    const { bs } = freshAlloc();
    for (const [cls, size] of [48, 200, 1000, 3000, 12000].entries()) {
      // Fill whole segments, so that the second round can only be served by the chunks of the first.
      const first = [bs.alloc(size)];
      while (bs.stats().classes[cls].free > 0 || first.length < 20) first.push(bs.alloc(size));
      const segments = bs.stats().classes[cls].segments;
      for (const ptr of first) bs.dealloc(ptr);
      const second = first.map(() => bs.alloc(size));
      expect(new Set(second)).toEqual(new Set(first));
      expect(bs.stats().classes[cls].segments).toBe(segments);
      for (const ptr of second) bs.dealloc(ptr);
    }
    expect(liveChunks(bs)).toBe(0);
    expect(bs.check()).toEqual([]);
  });
});

describe("realloc", () => {
  it("stays in place while the class fits, and moves with the content otherwise", () => {
    const { bs } = freshAlloc();
    const ptr = bs.alloc(100);
    stamp(bs, ptr, 100, 1);
    expect(bs.realloc(ptr, 256)).toBe(ptr);
    const grown = bs.realloc(ptr, 5000);
    expect(grown).not.toBe(ptr);
    expect(intact(bs, grown, 100, 1)).toBe(true);
    expect(bs.owns(ptr)).toBe(false);
    const large = bs.realloc(grown, 200_000);
    expect(intact(bs, large, 100, 1)).toBe(true);
    expect(bs.realloc(large, 150_000)).toBe(large);
    const small = bs.realloc(large, 10);
    expect(bs.usableSize(small)).toBe(64);
    expect(intact(bs, small, 10, 1)).toBe(true);
    expect(bs.stats().largeBlocks).toBe(0);
  });

  it("keeps the alignment the block was allocated with when none is given", () => {
    const { bs } = freshAlloc();
    const chunk = bs.alloc(20, 4096);
    const shrunk = bs.realloc(chunk, 8);
    expect(shrunk).toBe(chunk); // 4096-aligned needs the 4 KiB class: same class, in place
    const moved = bs.realloc(shrunk, 100_000);
    expect(moved % 4096).toBe(0);
    const back = bs.realloc(moved, 8);
    expect(back % 4096).toBe(0);
    const big = bs.alloc(40_000, 1 << 20);
    const bigger = bs.realloc(big, 900_000);
    expect(bigger % (1 << 20)).toBe(0);
    const explicit = bs.realloc(bigger, 900_000, 64);
    expect(explicit).toBe(bigger);
  });

  it("acts as alloc on null and returns 0 with the old block intact when the space is full", () => {
    const { bs } = freshAlloc(8 << 20);
    const fresh = bs.realloc(0, 300);
    expect(bs.usableSize(fresh)).toBe(1024);
    stamp(bs, fresh, 300, 9);
    expect(bs.realloc(fresh, 64 << 20)).toBe(0);
    expect(bs.owns(fresh)).toBe(true);
    expect(intact(bs, fresh, 300, 9)).toBe(true);
  });
});

describe("out of memory", () => {
  it("returns 0 when the space is full, and works again after frees", () => {
    for (const size of [40_000, 16_000, 100]) {
      // Segments stay with their class once mapped: each size gets a space of its own to fill.
      const { bs } = freshAlloc(4 << 20);
      expect(bs.alloc(8 << 20)).toBe(0);
      expect(bs.alloc(2 ** 32)).toBe(0);
      const blocks: number[] = [];
      for (let ptr = bs.alloc(size); ptr !== 0; ptr = bs.alloc(size)) blocks.push(ptr);
      expect(blocks.length).toBeGreaterThan(20);
      for (const ptr of blocks) bs.dealloc(ptr);
      expect(bs.alloc(size)).toBeGreaterThan(0);
      expect(bs.check()).toEqual([]);
    }
  });
});

describe("handles", () => {
  it("opens the same allocator from its root, and tells its blocks from other allocators'", () => {
    const { space, bs } = freshAlloc();
    const other = BsAlloc.create(space);
    const again = BsAlloc.open(space, bs.root);
    const small = bs.alloc(40);
    const large = bs.alloc(50_000);
    const foreign = other.alloc(40);
    const mapped = space.map(4096);
    expect([again.owns(small), again.owns(large), again.owns(foreign), again.owns(mapped)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(other.owns(small)).toBe(false);
    again.dealloc(small);
    again.dealloc(large);
    expect([bs.owns(small), bs.owns(large)]).toEqual([false, false]);
    expect(() => other.dealloc(small)).toThrow(RangeError);
    expect(bs.share()).toEqual({ space: space.share(), root: bs.root });
  });

  it("rejects a root that is not one", () => {
    const { space, bs } = freshAlloc();
    expect(() => BsAlloc.open(space, bs.root + 64)).toThrow(/root/);
    expect(() => BsAlloc.open(space, 0)).toThrow(/root/);
    expect(() => BsAlloc.open(space, -4)).toThrow(/root/);
    expect(() => BsAlloc.open(AddressSpace.create({ maxBytes: 1 << 20 }), bs.root)).toThrow(/root/);
  });
});

describe("growth", () => {
  for (const backing of ["shared", "local", "wasm"] as const) {
    it(`follows the ${backing} buffer as it grows, whichever handle grew it`, () => {
      const space = AddressSpace.create({ maxBytes: 64 << 20, backing });
      const early = BsAlloc.create(space);
      const late = BsAlloc.open(space, early.root);
      const first = early.alloc(100);
      const before = space.buffer.byteLength;
      const blocks = Array.from({ length: 300 }, (_, i) => late.alloc(i % 2 ? 9000 : 70_000));
      expect(space.buffer.byteLength).toBeGreaterThan(before);
      for (const ptr of blocks) {
        stamp(late, ptr, 9000, ptr);
        expect(early.owns(ptr)).toBe(true);
        expect(intact(early, ptr, 9000, ptr)).toBe(true);
        early.dealloc(ptr);
      }
      early.dealloc(first);
      expect(liveChunks(late)).toBe(0);
      expect(late.check()).toEqual([]);
    });
  }
});

describe("terminated workers", () => {
  it("counts a chunk a dead worker took out of a cache as lost, never as free, and goes on", () => {
    const { bs } = freshAlloc(64 << 20, { cacheSlots: 1 });
    const ptr = bs.alloc(100);
    bs.dealloc(ptr);
    // A worker empties the slot (as allocation does first), then dies before making the chunk live.
    expect(Atomics.exchange(bs.memory.i32, (bs.root >>> 2) + cacheIndex(1, 1), 0)).toBe(ptr);
    expect(bs.stats().classes[1]).toMatchObject({ live: 0, cached: 0, lost: 1 });
    expect(bs.check()).toEqual([]);
    const next = bs.alloc(100);
    expect(next).not.toBe(ptr);
    expect(() => bs.dealloc(ptr)).toThrow(RangeError);
    bs.dealloc(next);
    expect(bs.stats().classes[1]).toMatchObject({ live: 0, cached: 1, lost: 1 });
  });
});
