import { afterEach, describe, expect, it } from "vitest";
import {
  BLOCK_CACHED,
  BLOCK_FREE,
  CHUNK_BYTES,
  ElfMalloc,
  MEDIUM_MAX,
  MEDIUM_MIN,
  UNIT,
} from "../src/index.js";
import {
  CAPACITY,
  forEachBlock,
  forEachFreeRun,
  HEADER_UNITS,
  initChunk,
  isStart,
  markLive,
  markStart,
} from "../src/medium-chunk.js";
import { findFit, INDEX_WORDS, insertFree, listOf, removeFree } from "../src/medium-index.js";
import { fillBlock, verifyBlock } from "./pattern.js";

const MiB = 1 << 20;
const heaps: ElfMalloc[] = [];
function heap(): ElfMalloc {
  const h = ElfMalloc.create({ maxBytes: 64 * MiB });
  heaps.push(h);
  return h;
}
function attach(h: ElfMalloc): ElfMalloc {
  const other = ElfMalloc.attach(h.share());
  heaps.push(other);
  return other;
}
afterEach(() => {
  for (const h of heaps.splice(0)) h.detach();
});

describe("medium index", () => {
  it("maps lengths to lists in order, exact up to 15 units, eight lists per doubling above", () => {
    for (let units = 1; units < CAPACITY; units++) {
      expect(listOf(units + 1)).toBeGreaterThanOrEqual(listOf(units));
      expect(listOf(units)).toBeLessThan(64);
    }
    for (let units = 1; units < 16; units++) expect(listOf(units)).toBe(units);
    expect(new Set(Array.from({ length: 32 }, (_, k) => listOf(32 + k))).size).toBe(8);
  });

  it("fits the smallest listed block of the request's list, else the first block of a larger list", () => {
    const u32 = new Uint32Array(64 * 1024);
    const at = 0;
    const block = (k: number) => 4096 + k * 16384;
    insertFree(u32, at, block(0), 40);
    insertFree(u32, at, block(1), 34);
    insertFree(u32, at, block(2), 36);
    insertFree(u32, at, block(3), 300);
    expect(findFit(u32, at, 33)).toBe(block(1));
    expect(findFit(u32, at, 35)).toBe(block(2));
    expect(findFit(u32, at, 41)).toBe(block(3));
    removeFree(u32, at, block(3));
    expect(findFit(u32, at, 41)).toBe(0);
    removeFree(u32, at, block(1));
    removeFree(u32, at, block(0));
    removeFree(u32, at, block(2));
    expect(u32.subarray(at, at + INDEX_WORDS).every((w) => w === 0)).toBe(true);
  });
});

describe("medium chunks", () => {
  it("merge free runs that a killed worker left split when the chunk is rebuilt", () => {
    const u32 = new Uint32Array(CHUNK_BYTES / 4);
    initChunk(u32, 0, 0);
    markStart(u32, 0, 100);
    markStart(u32, 0, 200);
    markLive(u32, 0, 200, 210);
    markStart(u32, 0, 210);
    markStart(u32, 0, 500);
    const runs: [number, number][] = [];
    forEachFreeRun(u32, 0, (unit, units) => runs.push([unit, units]));
    expect(runs).toEqual([
      [HEADER_UNITS, 200 - HEADER_UNITS],
      [210, 1024 - 210],
    ]);
    expect(isStart(u32, 0, 100)).toBe(false);
    expect(isStart(u32, 0, 500)).toBe(false);
    const blocks: [number, number, boolean][] = [];
    forEachBlock(u32, 0, (unit, units, free) => blocks.push([unit, units, free]));
    expect(blocks).toEqual([
      [HEADER_UNITS, 200 - HEADER_UNITS, true],
      [200, 10, false],
      [210, 1024 - 210, true],
    ]);
  });
});

describe("medium blocks", () => {
  it(`serve ${MEDIUM_MIN} B to ${MEDIUM_MAX / 1024} KiB exact to ${UNIT} bytes, aligned to ${UNIT}, apart and intact`, () => {
    const h = heap();
    const live: number[] = [];
    for (let size = MEDIUM_MIN; size <= MEDIUM_MAX; size += 61) {
      const ptr = h.malloc(size);
      expect(ptr % UNIT).toBe(0);
      expect(h.usableSize(ptr)).toBe(Math.ceil(size / UNIT) * UNIT);
      fillBlock(h, ptr, size);
      live.push(ptr, size);
    }
    for (let k = 0; k < live.length; k += 2) expect(verifyBlock(h, live[k], live[k], live[k + 1])).toBe(true);
    expect(h.stats().mediumBlocks).toBe(live.length / 2);
    expect(h.check()).toEqual([]);
    for (let k = 0; k < live.length; k += 2) h.free(live[k]);
    const stats = h.stats();
    expect(stats.mediumBytes).toBe(0);
    expect(stats.liveBytes).toBe(0);
    expect(h.check()).toEqual([]);
    // All merged back: the thread keeps one empty chunk, the others went to the pool.
    expect(h.snapshot().chunks).toHaveLength(1);
    h.trim();
    expect(h.snapshot().chunks).toEqual([]);
  });

  it("reuse a freed hole for a request that fits it, before any larger free block", () => {
    const h = heap();
    const [a, b, c] = [h.malloc(2000), h.malloc(300), h.malloc(3000)];
    expect(b).toBe(a + 2048);
    h.free(a);
    // 2000 B took 32 units; 1900 B (30 units) fits the hole a left, not the rest of the chunk.
    expect(h.malloc(1900)).toBe(a);
    h.free(c);
    // 3000 B took 47 units: 2500 B take 40 of them, and the 7 left serve the next 300 B (5 units).
    expect(h.malloc(2500)).toBe(c);
    expect(h.malloc(300)).toBe(c + 2560);
    expect(h.check()).toEqual([]);
  });

  it("up to 1 KiB, come back from the thread's magazine for their unit count, until trim()", () => {
    const h = heap();
    const blocks = Array.from({ length: 6 }, () => h.malloc(1000));
    for (const ptr of blocks) h.free(ptr);
    // The first four fill the 16-unit magazine; the other two went back to the chunk.
    expect(h.stats().cachedBytes).toBe(4 * 1024);
    const snapshot = h.snapshot();
    const states = blocks.map((ptr) => snapshot.chunks[0].blocks.find((b) => b.ptr === ptr)?.state);
    // The last merged into the one before it and the chunk's free end: one free block.
    expect(states).toEqual([BLOCK_CACHED, BLOCK_CACHED, BLOCK_CACHED, BLOCK_CACHED, BLOCK_FREE, undefined]);
    expect(snapshot.threads[0].cachedBytes).toBe(4 * 1024);
    expect(h.check()).toEqual([]);
    // Newest first, as the class magazines do.
    expect(h.malloc(980)).toBe(blocks[3]);
    h.free(blocks[3]);
    h.trim();
    expect(h.stats().cachedBytes).toBe(0);
    expect(h.snapshot().chunks).toEqual([]);
    expect(h.check()).toEqual([]);
  });

  it("reject double frees and interior pointers with a RangeError, unchecked, from any thread", () => {
    const h = heap();
    const other = attach(h);
    const ptr = h.malloc(2000);
    expect(() => h.free(ptr + 64)).toThrow(/interior/);
    expect(() => other.free(ptr + 16)).toThrow(RangeError);
    other.free(ptr);
    expect(() => other.free(ptr)).toThrow(/double free/);
    expect(() => h.free(ptr)).toThrow(/double free/);
    const mine = h.malloc(2000);
    h.free(mine);
    expect(() => h.free(mine)).toThrow(/double free/);
    expect(() => h.usableSize(mine)).toThrow(RangeError);
    expect(h.check()).toEqual([]);
  });

  it("up to 1 KiB, reject a double free by their own thread in checked mode (the magazine takes it unchecked)", () => {
    const h = ElfMalloc.create({ maxBytes: 64 * MiB, checked: true });
    heaps.push(h);
    const ptr = h.malloc(700);
    h.free(ptr);
    expect(() => h.free(ptr)).toThrow(/double free/);
    expect(h.stats().cachedBytes).toBe(0);
    expect(h.check()).toEqual([]);
  });

  it("take back blocks other threads freed when the owner next needs memory", () => {
    const h = heap();
    const other = attach(h);
    const blocks = Array.from({ length: 120 }, () => h.malloc(2000));
    for (const ptr of blocks) other.free(ptr);
    // Until the owner looks, they wait on their chunks' stacks and count as live.
    expect(h.stats().mediumBlocks).toBe(120);
    expect(h.stats().remoteFrees).toBe(120);
    expect(h.check()).toEqual([]);
    const { slabBytes } = h.stats();
    const chunks = h.snapshot().chunks.length;
    const again = Array.from({ length: 120 }, () => h.malloc(2000));
    // The same memory serves them again: no new chunk, nothing new mapped.
    expect(h.snapshot().chunks.length).toBe(chunks);
    expect(h.stats().slabBytes).toBe(slabBytes);
    for (const ptr of again) other.free(ptr);
    h.trim();
    expect(h.stats().mediumBlocks).toBe(0);
    expect(h.snapshot().chunks).toEqual([]);
    expect(h.check()).toEqual([]);
  });

  it("are orphaned when their thread leaves and adopted by the next thread that frees into them", () => {
    const h = heap();
    const leaver = attach(h);
    const blocks = Array.from({ length: 200 }, (_, i) => leaver.malloc(300 + i * 20));
    for (const [i, ptr] of blocks.entries()) fillBlock(h, ptr, 300 + i * 20);
    for (const ptr of blocks.splice(0, 50)) leaver.free(ptr);
    leaver.detach();
    let snapshot = h.snapshot();
    expect(snapshot.chunks.length).toBeGreaterThan(1);
    expect(snapshot.chunks.every((c) => c.owner === -1)).toBe(true);
    expect(snapshot.stats.mediumBlocks).toBe(150);
    expect(h.check()).toEqual([]);
    // One free adopts a chunk: its free runs join h's index, so h allocates from it without a new chunk.
    h.free(blocks.pop()!);
    snapshot = h.snapshot();
    expect(snapshot.chunks.filter((c) => c.owner === h.threadId)).toHaveLength(1);
    expect(h.check()).toEqual([]);
    for (const [i, ptr] of blocks.entries()) expect(verifyBlock(h, ptr, ptr, 300 + (i + 50) * 20)).toBe(true);
    for (const ptr of blocks) h.free(ptr);
    h.trim();
    snapshot = h.snapshot();
    expect(snapshot.chunks).toEqual([]);
    expect(snapshot.stats.liveBytes).toBe(0);
    expect(snapshot.stats.slabBytes).toBe(snapshot.stats.pooledBytes);
    expect(h.check()).toEqual([]);
  });

  it("left orphaned are adopted by a thread short of medium memory before it maps a chunk", () => {
    const h = heap();
    const leaver = attach(h);
    const blocks = Array.from({ length: 200 }, () => leaver.malloc(2000));
    for (const ptr of blocks.filter((_, i) => i % 2 === 0)) leaver.free(ptr);
    leaver.detach();
    const before = h.stats();
    const orphans = h.snapshot().chunks.map((c) => c.base);
    expect(h.snapshot().chunks.every((c) => c.owner === -1)).toBe(true);
    expect(h.check()).toEqual([]);
    // h has no chunk of its own: its 2000-byte blocks fill the orphans' holes, and nothing new is mapped.
    const mine = Array.from({ length: 90 }, () => h.malloc(2000));
    expect(mine.every((ptr) => orphans.some((base) => ptr > base && ptr < base + CHUNK_BYTES))).toBe(true);
    expect(h.stats().slabBytes).toBe(before.slabBytes);
    expect(h.snapshot().chunks.some((c) => c.owner === h.threadId)).toBe(true);
    expect(h.check()).toEqual([]);
  });

  it("are freed into their chunks' bits when a thread that others freed into leaves", () => {
    const h = heap();
    const leaver = attach(h);
    const blocks = Array.from({ length: 64 }, () => leaver.malloc(4000));
    for (const ptr of blocks.slice(0, 32)) h.free(ptr);
    leaver.detach();
    const snapshot = h.snapshot();
    expect(snapshot.chunks.every((c) => c.pendingBlocks === 0 && c.owner === -1)).toBe(true);
    expect(snapshot.stats.mediumBlocks).toBe(32);
    expect(h.check()).toEqual([]);
  });

  it("grow and shrink with realloc, in place while the units stay the same", () => {
    const h = heap();
    const ptr = h.malloc(1000);
    fillBlock(h, ptr, 1000);
    expect(h.realloc(ptr, 1020)).toBe(ptr);
    const grown = h.realloc(ptr, 5000);
    expect(verifyBlock(h, grown, ptr, 1000)).toBe(true);
    const small = h.realloc(grown, 100);
    expect(verifyBlock(h, small, ptr, 100)).toBe(true);
    expect(h.usableSize(small)).toBe(112);
    h.free(small);
    expect(h.check()).toEqual([]);
  });

  it("serve alignments up to 64 from chunks and larger ones from power-of-two slabs", () => {
    const h = heap();
    const a64 = h.alignedAlloc(64, 1000);
    expect(a64 % 64).toBe(0);
    expect(h.snapshot().chunks.flatMap((c) => c.blocks.map((b) => b.ptr))).toContain(a64);
    for (const align of [128, 256, 1024, 4096]) {
      const ptr = h.alignedAlloc(align, 1000);
      expect(ptr % align).toBe(0);
      expect(h.usableSize(ptr)).toBeGreaterThanOrEqual(1000);
      h.free(ptr);
    }
    h.free(a64);
    expect(h.check()).toEqual([]);
  });
});
