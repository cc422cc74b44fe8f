import { afterEach, describe, expect, it } from "vitest";
import {
  BLOCK_CACHED,
  BLOCK_FREE,
  BLOCK_LIVE,
  BLOCK_PENDING,
  CHUNK_BYTES,
  classOf,
  ElfMalloc,
  type ElfMallocDescriptor,
  GRANULE,
  type HeapSnapshot,
  SIZE_CLASSES,
} from "../src/index.js";

const MiB = 1 << 20;
const heaps: ElfMalloc[] = [];
function heap(): ElfMalloc {
  const h = ElfMalloc.create({ maxBytes: 256 * MiB });
  heaps.push(h);
  return h;
}
afterEach(() => {
  for (const h of heaps.splice(0)) h.detach();
});

/** The state the snapshot gives the block at `ptr`. */
function stateOf(snapshot: HeapSnapshot, ptr: number): number | undefined {
  const slab = snapshot.slabs.find((s) => ptr >= s.base && ptr < s.base + s.slabBytes);
  if (slab) return slab.blocks[(ptr - slab.base) / slab.size];
  for (const chunk of snapshot.chunks) {
    const block = chunk.blocks.find((b) => b.ptr === ptr);
    if (block) return block.state;
  }
  return undefined;
}

/** Per class size: live and cached blocks summed over the snapshot's slabs. */
function byClass(snapshot: HeapSnapshot): Map<number, { live: number; cached: number }> {
  const classes = new Map<number, { live: number; cached: number }>();
  for (const slab of snapshot.slabs) {
    const c = classes.get(slab.size) ?? { live: 0, cached: 0 };
    c.live += slab.liveBlocks;
    c.cached += slab.cachedBlocks;
    classes.set(slab.size, c);
  }
  return classes;
}

/** Asserts that the snapshot's block counts agree with its `stats`, class by class. */
function expectAgreesWithStats(snapshot: HeapSnapshot): void {
  const classes = byClass(snapshot);
  for (const c of snapshot.stats.classes) {
    expect(classes.get(c.size) ?? { live: 0, cached: 0 }, `class ${c.size}`).toEqual({
      live: c.liveBlocks,
      cached: c.cachedBlocks,
    });
  }
  for (const [size, c] of classes) {
    if (c.live + c.cached > 0) expect(snapshot.stats.classes.some((s) => s.size === size)).toBe(true);
  }
  expect(snapshot.threads.reduce((n, t) => n + t.cachedBytes, 0)).toBe(snapshot.stats.cachedBytes);
  expect(snapshot.large.reduce((n, b) => n + b.bytes, 0)).toBe(snapshot.stats.largeBytes);
  expect(snapshot.large.length).toBe(snapshot.stats.largeBlocks);
  const slabBytes = snapshot.slabs.reduce((n, s) => n + s.slabBytes, 0);
  const chunkBytes = snapshot.chunks.length * CHUNK_BYTES;
  expect(slabBytes + chunkBytes + snapshot.stats.pooledBytes).toBe(snapshot.stats.slabBytes);
  expect(snapshot.chunks.reduce((n, c) => n + c.liveBlocks + c.pendingBlocks, 0)).toBe(
    snapshot.stats.mediumBlocks,
  );
  expect(snapshot.chunks.reduce((n, c) => n + c.liveBytes, 0)).toBe(snapshot.stats.mediumBytes);
  for (const chunk of snapshot.chunks) {
    const bytes = chunk.blocks.reduce((n, b) => n + b.bytes, 0);
    expect(bytes, `chunk ${chunk.base}`).toBe(chunk.liveBytes + chunk.freeBytes);
  }
  expect(snapshot.threads.length).toBe(snapshot.stats.threads);
}

describe("snapshot", () => {
  it("shows slabs by class with each block live, free or cached, agreeing with stats()", () => {
    const h = heap();
    const small = Array.from({ length: 3000 }, () => h.malloc(64));
    const medium = Array.from({ length: 200 }, () => h.malloc(1000));
    const big = h.malloc(3 * MiB);
    let snapshot = h.snapshot();
    expectAgreesWithStats(snapshot);
    for (const ptr of [...small, ...medium]) expect(stateOf(snapshot, ptr)).toBe(BLOCK_LIVE);
    expect(snapshot.large).toEqual([{ base: big, bytes: 3 * MiB }]);
    expect(snapshot.threads.map((t) => t.slot)).toEqual([h.threadId]);
    // Slabs are sorted by class then address; blocks of each slab add up; the classes in use are claimed.
    for (let k = 1; k < snapshot.slabs.length; k++) {
      const [a, b] = [snapshot.slabs[k - 1], snapshot.slabs[k]];
      expect(a.classIndex < b.classIndex || (a.classIndex === b.classIndex && a.base < b.base)).toBe(true);
    }
    for (const slab of snapshot.slabs) {
      const c = SIZE_CLASSES[slab.classIndex];
      expect(slab.size).toBe(c.size);
      expect(slab.liveBlocks + slab.freeBlocks + slab.cachedBlocks).toBe(c.objects);
      expect(slab.base % GRANULE).toBe(0);
    }
    const owners = snapshot.slabs.filter((s) => s.owner === h.threadId).map((s) => s.size);
    expect(new Set(owners)).toEqual(new Set([64]));
    // Medium blocks lie in chunks of the thread, one after another, at their size rounded to 64 bytes.
    expect(snapshot.chunks.every((c) => c.owner === h.threadId)).toBe(true);
    const blocks = snapshot.chunks.flatMap((c) => c.blocks).filter((b) => b.state === BLOCK_LIVE);
    expect(blocks.map((b) => b.bytes)).toEqual(medium.map(() => 1024));

    // Frees go to the thread's magazine first (cached), the overflow back to slab bit-sets (free).
    for (const ptr of small.filter((_, i) => i % 2 === 0)) h.free(ptr);
    h.free(big);
    snapshot = h.snapshot();
    expectAgreesWithStats(snapshot);
    expect(snapshot.large).toEqual([]);
    const states = small.map((ptr) => stateOf(snapshot, ptr));
    for (let i = 1; i < small.length; i += 2) expect(states[i]).toBe(BLOCK_LIVE);
    const freed = states.filter((_, i) => i % 2 === 0);
    expect(freed).not.toContain(BLOCK_LIVE);
    expect(freed).toContain(BLOCK_CACHED);
    expect(freed).toContain(BLOCK_FREE);
    const [thread] = snapshot.threads;
    const cache64 = thread.classes.find((c) => c.size === 64)!;
    expect(cache64.magazineBlocks).toBeGreaterThan(0);
    expect(cache64.magazineBlocks).toBeLessThanOrEqual(SIZE_CLASSES[classOf(64)].magazine);
    expect(thread.cachedBlocks).toBe(
      freed.filter((s) => s === BLOCK_CACHED).length +
        thread.classes.reduce((n, c) => n + c.claimedWordBlocks, 0),
    );
  });

  it("shows each thread's caches, and an empty heap once every thread has gone", () => {
    const h = heap();
    const other = ElfMalloc.attach(h.shareThread() as ElfMallocDescriptor);
    heaps.push(other);
    const mine = Array.from({ length: 100 }, () => h.malloc(200));
    const theirs = Array.from({ length: 40 }, () => other.malloc(3000));
    // Each frees blocks the other allocated: small ones land in the freeing thread's magazine.
    for (const ptr of mine.splice(0, 10)) other.free(ptr);
    const freedTheirs = theirs.splice(0, 5);
    for (const ptr of freedTheirs) h.free(ptr);
    const snapshot = h.snapshot();
    expectAgreesWithStats(snapshot);
    const bySlot = new Map(snapshot.threads.map((t) => [t.slot, t]));
    expect([...bySlot.keys()].sort()).toEqual([h.threadId, other.threadId].sort());
    const size200 = SIZE_CLASSES[classOf(200)].size;
    expect(bySlot.get(other.threadId)!.classes.find((c) => c.size === size200)?.magazineBlocks).toBe(10);
    // Medium blocks freed by another thread wait on their chunk's remote stack for the owner.
    for (const ptr of theirs) expect(stateOf(snapshot, ptr)).toBe(BLOCK_LIVE);
    for (const ptr of freedTheirs) expect(stateOf(snapshot, ptr)).toBe(BLOCK_PENDING);
    expect(snapshot.chunks.every((c) => c.owner === other.threadId)).toBe(true);
    // The slab a thread allocates from names it as owner, and its cache names that slab.
    const claimed = (size: number, slot: number) =>
      snapshot.slabs.filter((s) => s.size === size && s.owner === slot).map((s) => s.base);
    expect(claimed(size200, h.threadId)).toEqual([
      bySlot.get(h.threadId)!.classes.find((c) => c.size === size200)?.slab,
    ]);

    for (const ptr of mine) h.free(ptr);
    for (const ptr of theirs) other.free(ptr);
    other.detach();
    h.detach();
    const after = ElfMalloc.attach(h.share());
    heaps.push(after);
    const empty = after.snapshot();
    expectAgreesWithStats(empty);
    expect(empty.slabs.every((s) => s.liveBlocks === 0 && s.cachedBlocks === 0)).toBe(true);
    expect(empty.chunks).toEqual([]);
    expect(empty.pooledSlabs).toBeGreaterThan(0);
    expect(empty.threads).toEqual([{ slot: after.threadId, cachedBlocks: 0, cachedBytes: 0, classes: [] }]);
    expect(after.check()).toEqual([]);
  });
});
