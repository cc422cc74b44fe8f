import { describe, expect, it } from "vitest";
import {
  H_CACHE_COUNT,
  H_LEAVES,
  H_LOCK,
  HANDLE_CACHE_WORDS,
  HANDLE_CACHES,
  HANDLE_CACHES_BASE,
  tagBase,
} from "../src/header.js";
import { AddressSpace } from "../src/index.js";
import { handleCacheTag } from "../src/page-cache.js";
import { CACHED_TAG } from "../src/run-tags.js";

const PAGE = 4096;
const MiB = 1 << 20;

/** The metadata words (read while the lock is free: stats() takes it). */
function metadata(space: AddressSpace): Int32Array {
  return new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
}

/** The word of the stack of `handle`'s cache, and its pages' tag; undefined when it has none. */
function handleCache(space: AddressSpace, handle: AddressSpace): { at: number; tag: number } | undefined {
  const meta = metadata(space);
  for (let index = 0; index < HANDLE_CACHES; index++) {
    const owner = HANDLE_CACHES_BASE + index * HANDLE_CACHE_WORDS;
    if (meta[owner] === handle.holder) return { at: owner + 1, tag: handleCacheTag(index) };
  }
  return undefined;
}

/**
 * Does the first `stores` stores of a push of the mapped one-page run at `ptr` onto the stack at `at`
 * (page-cache.ts: the page, its tag, the count), as a worker terminated after them would have.
 */
function partialPush(meta: Int32Array, at: number, tag: number, ptr: number, stores: number): void {
  const tags = tagBase(meta[H_LEAVES]);
  const count = meta[at];
  if (stores > 0) meta[at + 1 + count] = ptr / PAGE;
  if (stores > 1) meta[tags + ptr / PAGE] = tag;
  if (stores > 2) meta[at] = count + 1;
}

/** The first `stores` stores of a pop from the stack at `at` (the count, the page's tag, the slot). */
function partialPop(meta: Int32Array, at: number, stores: number): number {
  const tags = tagBase(meta[H_LEAVES]);
  const count = meta[at] - 1;
  const page = meta[at + 1 + count];
  if (stores > 0) meta[at] = count;
  if (stores > 1) meta[tags + page] = 1;
  if (stores > 2) meta[at + 1 + count] = 0;
  return page * PAGE;
}

describe("handle caches", () => {
  it("keep each handle's unmapped single pages for its own next maps", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const other = AddressSpace.attach(space.share());
    const mine = space.map(PAGE);
    space.u8.fill(7, mine, mine + PAGE);
    space.unmap(mine, PAGE);
    expect(handleCache(space, space)).toBeDefined();
    expect(handleCache(space, other)).toBeUndefined();
    const theirs = other.map(PAGE);
    expect(theirs).not.toBe(mine);
    expect(space.map(PAGE)).toBe(mine);
    expect(space.u8.subarray(mine, mine + PAGE).every((b) => b === 0)).toBe(true);
    expect(space.check()).toEqual([]);
    expect(other.check()).toEqual([]);
  });

  it("go back to the tree on detach, which frees the slot; the handle stays usable", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const largest = space.stats().largestFreeRun;
    const pages = [space.map(PAGE), space.map(PAGE), space.map(PAGE)];
    for (const ptr of pages) space.unmap(ptr, PAGE);
    expect(space.stats().largestFreeRun).toBe(largest - 3 * PAGE);
    expect(space.stats().mappedBytes).toBe(0);
    space.detach();
    expect(handleCache(space, space)).toBeUndefined();
    expect(space.stats().largestFreeRun).toBe(largest);
    expect(space.check()).toEqual([]);
    const again = space.map(PAGE);
    expect(again).toBe(pages[0]);
    space.unmap(again, PAGE);
    expect(handleCache(space, space)).toBeDefined();
    expect(space.check()).toEqual([]);
  });

  it("of a handle that ended without detaching go back on recover(holder), and check() sees them meanwhile", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const largest = space.stats().largestFreeRun;
    const ended = AddressSpace.attach(space.share());
    const pages = [ended.map(PAGE), ended.map(PAGE)];
    for (const ptr of pages) ended.unmap(ptr, PAGE);
    // Another live handle's cache: its pages count as neither mapped nor in the tree.
    expect(space.check()).toEqual([]);
    expect(space.stats().mappedBytes).toBe(0);
    expect(space.stats().largestFreeRun).toBe(largest - 2 * PAGE);
    expect(space.recover(ended.holder)).toBe(false); // it did not hold the lock
    expect(handleCache(space, ended)).toBeUndefined();
    expect(space.stats().largestFreeRun).toBe(largest);
    expect(space.check()).toEqual([]);
    expect(space.recover(ended.holder)).toBe(false);
  });

  it("report a cached page of this handle that is not zero", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const ptr = space.map(PAGE);
    space.unmap(ptr, PAGE);
    space.u8[ptr + 5] = 1;
    expect(space.check().some((p) => p.includes(`free page ${ptr / PAGE} is not zero (cached)`))).toBe(true);
  });

  it("run out after 64 handles: the others use the shared cache", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const handles = Array.from({ length: HANDLE_CACHES + 1 }, () => AddressSpace.attach(space.share()));
    const ptrs = handles.map((h) => h.map(PAGE));
    for (const [i, h] of handles.entries()) h.unmap(ptrs[i], PAGE);
    expect(handles.slice(0, HANDLE_CACHES).every((h) => handleCache(space, h) !== undefined)).toBe(true);
    const last = handles[HANDLE_CACHES];
    expect(handleCache(space, last)).toBeUndefined();
    expect(metadata(space)[H_CACHE_COUNT]).toBe(1);
    expect(space.map(PAGE)).toBe(ptrs[HANDLE_CACHES]); // from the shared cache
    expect(space.check()).toEqual([]);
    for (const h of handles) h.detach();
    expect(space.check()).toEqual([]);
  });
});

describe("a cache operation cut short by a terminated worker", () => {
  // After `stores` of the three stores: is the page still mapped (true) or in the cache (false)?
  const pushes = [
    { stores: 0, mapped: true },
    { stores: 1, mapped: true },
    { stores: 2, mapped: false },
    { stores: 3, mapped: false },
  ];
  const pops = [
    { stores: 0, mapped: false },
    { stores: 1, mapped: false },
    { stores: 2, mapped: true },
    { stores: 3, mapped: true },
  ];

  it.each(pushes)(
    "handle cache, push after $stores stores: recover(holder) repairs it",
    ({ stores, mapped }) => {
      const space = AddressSpace.create({ maxBytes: 64 * MiB });
      const dead = AddressSpace.attach(space.share());
      const page = dead.map(PAGE);
      dead.unmap(dead.map(PAGE), PAGE); // claims its cache, which then holds another page
      const cache = handleCache(space, dead)!;
      partialPush(metadata(space), cache.at, cache.tag, page, stores);
      space.recover(dead.holder);
      expect(space.check()).toEqual([]);
      expect(space.runSize(page)).toBe(mapped ? PAGE : 0);
      expect(space.stats().mappedBytes).toBe(mapped ? PAGE : 0);
      expect(handleCache(space, dead)).toBeUndefined();
    },
  );

  it.each(pops)(
    "handle cache, pop after $stores stores: recover(holder) repairs it",
    ({ stores, mapped }) => {
      const space = AddressSpace.create({ maxBytes: 64 * MiB });
      const dead = AddressSpace.attach(space.share());
      const pages = [dead.map(PAGE), dead.map(PAGE)];
      for (const ptr of pages) dead.unmap(ptr, PAGE);
      const cache = handleCache(space, dead)!;
      const page = partialPop(metadata(space), cache.at, stores);
      expect(page).toBe(pages[1]);
      space.recover(dead.holder);
      expect(space.check()).toEqual([]);
      expect(space.runSize(page)).toBe(mapped ? PAGE : 0);
      expect(space.stats().mappedBytes).toBe(mapped ? PAGE : 0);
    },
  );

  it.each(pushes)(
    "shared cache, push after $stores stores under the lock: recover(holder) repairs it",
    ({ stores, mapped }) => {
      const space = AddressSpace.create({ maxBytes: 64 * MiB });
      const dead = AddressSpace.attach(space.share());
      const page = dead.map(PAGE);
      const meta = metadata(space);
      Atomics.store(meta, H_LOCK, dead.holder << 1);
      partialPush(meta, H_CACHE_COUNT, CACHED_TAG, page, stores);
      expect(space.recover(dead.holder)).toBe(true);
      expect(space.check()).toEqual([]);
      expect(space.runSize(page)).toBe(mapped ? PAGE : 0);
      expect(meta[H_CACHE_COUNT]).toBe(mapped ? 0 : 1);
    },
  );

  it.each(pops)(
    "shared cache, pop after $stores stores under the lock: recover(holder) repairs it",
    ({ stores, mapped }) => {
      const space = AddressSpace.create({ maxBytes: 64 * MiB });
      const dead = AddressSpace.attach(space.share());
      // A handle without a cache of its own would unmap into the shared one; put a page there directly.
      const ptr = dead.map(PAGE);
      const meta = metadata(space);
      partialPush(meta, H_CACHE_COUNT, CACHED_TAG, ptr, 3);
      Atomics.store(meta, H_LOCK, dead.holder << 1);
      const page = partialPop(meta, H_CACHE_COUNT, stores);
      expect(space.recover(dead.holder)).toBe(true);
      expect(space.check()).toEqual([]);
      expect(space.runSize(page)).toBe(mapped ? PAGE : 0);
      expect(meta[H_CACHE_COUNT]).toBe(mapped ? 0 : 1);
    },
  );
});
