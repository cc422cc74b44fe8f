import { AddressSpace } from "@allocators/mmap-alloc";
import { describe, expect, it } from "vitest";
import { LARGE_CACHE_SLOTS, rootBytes } from "../src/heap-root.js";
import { LargeBlocks } from "../src/large-blocks.js";
import { entryIndex, GRANULE, pageMapBytes } from "../src/page-map.js";

const MAX = 256 << 20;

/**
 * Large blocks over an address space whose `unmap` records every granule that still has a page-map entry when
 * its pages go back: another worker may map those pages at once and write its own entries, which a clear
 * coming after the unmap would wipe (its block then unknown to free and usableSize).
 */
function watchedBlocks() {
  const space = AddressSpace.create({ maxBytes: MAX });
  const root = space.map(rootBytes(1));
  const map = space.map(pageMapBytes(MAX));
  const stillNamed: number[] = [];
  const unmap = space.unmap.bind(space);
  space.unmap = (ptr: number, bytes: number) => {
    for (let g = ptr; g < ptr + bytes; g += GRANULE)
      if (space.u32[entryIndex(map, g)] !== 0) stillNamed.push(g);
    unmap(ptr, bytes);
  };
  return { space, large: new LargeBlocks(space, root, map), stillNamed };
}

describe("large blocks give pages back only after the page map forgets them", () => {
  it("when realloc shrinks a block in place", () => {
    const { large, stillNamed } = watchedBlocks();
    const ptr = large.alloc(8 * GRANULE, GRANULE);
    expect(large.remap(ptr, 8 * GRANULE, 2 * GRANULE)).toBe(ptr);
    expect(stillNamed).toEqual([]);
  });

  it("when realloc moves a block", () => {
    const { large, stillNamed } = watchedBlocks();
    const ptr = large.alloc(2 * GRANULE, GRANULE);
    const neighbour = large.alloc(GRANULE, GRANULE);
    expect(neighbour).toBe(ptr + 2 * GRANULE);
    const moved = large.remap(ptr, 2 * GRANULE, 6 * GRANULE);
    expect(moved).not.toBe(ptr);
    expect(stillNamed).toEqual([]);
  });

  it("when a block is freed past the cache, and when the cache is flushed", () => {
    const { large, stillNamed } = watchedBlocks();
    const blocks = Array.from({ length: LARGE_CACHE_SLOTS + 2 }, () => large.alloc(GRANULE, GRANULE));
    const huge = large.alloc(32 << 20, GRANULE);
    for (const ptr of blocks) large.free(ptr, GRANULE);
    large.free(huge, 32 << 20);
    expect(large.flushCache()).toBe(true);
    expect(stillNamed).toEqual([]);
  });
});
