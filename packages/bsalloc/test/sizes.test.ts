import { expect, it } from "vitest";
import { freshAlloc, liveChunks } from "./helpers.js";

it("allocates, writes and frees every size from 8 B to 2 MiB in steps of 8", () => {
  const { bs } = freshAlloc(64 << 20);
  for (let size = 8; size <= 2 << 20; size += 8) {
    const ptr = bs.alloc(size, 8);
    if (ptr === 0 || ptr % 8 !== 0 || bs.usableSize(ptr) < size) {
      throw new Error(`size ${size}: got ${ptr}, usable ${ptr && bs.usableSize(ptr)}`);
    }
    const words = bs.memory.u32;
    words[ptr >>> 2] = size;
    words[(ptr + size - 4) >>> 2] = ~size;
    if (words[ptr >>> 2] !== size || words[(ptr + size - 4) >>> 2] !== ~size >>> 0) {
      throw new Error(`size ${size}: the block at ${ptr} does not hold what was written`);
    }
    bs.dealloc(ptr);
  }
  expect(liveChunks(bs)).toBe(0);
  expect(bs.stats()).toMatchObject({ largeBlocks: 0, largeBytes: 0 });
  expect(bs.check()).toEqual([]);
});
