import { runWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { AddressSpace, RunCache } from "../src/index.js";

const PAGE = 4096;
const KiB = 1024;

/** A space, and the i32 index of the zeroed words of `slots` slots in a page mapped for them (a heap root's part). */
function cacheSpace(slots: number) {
  const space = AddressSpace.create({ maxBytes: 64 << 20 });
  const at = space.map(PAGE) >>> 2;
  return { space, at, cache: new RunCache(slots) };
}

/** The runs parked in the slots at `at`, read through the cache. */
function parked(space: AddressSpace, at: number, slots: number): number[] {
  const cache = new RunCache(slots);
  return Array.from({ length: slots }, (_, slot) => cache.runAt(space.i32, at, slot)).filter(
    (run) => run !== 0,
  );
}

describe("RunCache", () => {
  it("reuses a parked run for requests it holds without wasting more than half of it", () => {
    const { space, at, cache } = cacheSpace(4);
    const run = space.map(64 * KiB);
    expect(cache.offer(space.i32, at, run, 64 * KiB)).toBe(0);
    expect(parked(space, at, 4)).toEqual([run]);
    expect(cache.take(space.i32, at, 31 * KiB)).toBe(0); // would waste more than half
    expect(cache.take(space.i32, at, 65 * KiB)).toBe(0); // too small
    expect(cache.take(space.i32, at, 32 * KiB)).toBe(run); // exactly twice the request
    expect(parked(space, at, 4)).toEqual([]);
    expect(cache.take(space.i32, at, 32 * KiB)).toBe(0); // taken once
    cache.offer(space.i32, at, run, 64 * KiB);
    expect(cache.take(space.i32, at, 64 * KiB)).toBe(run); // exactly the request
  });

  it("takes a caller's own bound and alignment", () => {
    const { space, at, cache } = cacheSpace(2);
    const run = space.map(64 * KiB, 64 * KiB) + PAGE; // aligned to 4 KiB, not 8 KiB
    cache.offer(space.i32, at, run, 60 * KiB);
    expect(cache.take(space.i32, at, 30 * KiB, 1, 60 * KiB - 1)).toBe(0); // below twice only
    expect(cache.take(space.i32, at, 40 * KiB, 8 * KiB)).toBe(0);
    expect(cache.take(space.i32, at, 40 * KiB, PAGE)).toBe(run);
  });

  it("refuses a run when its slots are full, or evicts round robin with a counter", () => {
    const { space, at, cache } = cacheSpace(2);
    const runs = [1, 2, 3].map(() => space.map(16 * KiB));
    expect(cache.offer(space.i32, at, runs[0], 16 * KiB)).toBe(0);
    expect(cache.offer(space.i32, at, runs[1], 16 * KiB)).toBe(0);
    expect(cache.offer(space.i32, at, runs[2], 16 * KiB)).toBe(runs[2]); // refused: the caller gives it back
    expect(parked(space, at, 2)).toEqual([runs[0], runs[1]]);
    const victims = at + cache.words;
    expect(cache.offer(space.i32, at, runs[2], 16 * KiB, victims)).toBe(runs[0]); // slot 0 first
    expect(parked(space, at, 2)).toEqual([runs[2], runs[1]]);
    expect(cache.offer(space.i32, at, runs[0], 16 * KiB, victims)).toBe(runs[1]); // then slot 1
    expect(parked(space, at, 2)).toEqual([runs[2], runs[0]]);
  });

  it("empties one slot at a time for a flush", () => {
    const { space, at, cache } = cacheSpace(2);
    const run = space.map(64 * KiB);
    cache.offer(space.i32, at, run, 64 * KiB);
    expect(cache.empty(space.i32, at, 1)).toBe(0);
    expect(cache.empty(space.i32, at, 0)).toBe(run);
    expect(cache.empty(space.i32, at, 0)).toBe(0);
    expect(cache.take(space.i32, at, 64 * KiB)).toBe(0);
  });

  it("keeps each run's length in its own slot words, never in the run", () => {
    const { space, at, cache } = cacheSpace(2);
    const run = space.map(64 * KiB);
    space.u32.fill(0xdeadbeef, run >>> 2, (run + 64 * KiB) >>> 2);
    cache.offer(space.i32, at, run, 64 * KiB);
    expect(cache.words).toBe(4);
    expect([cache.runAt(space.i32, at, 0), cache.bytesAt(space.i32, at, 0)]).toEqual([run, 64 * KiB]);
    // A stray write into the parked run (a write after free) changes nothing the cache decides on.
    space.u32.fill(0, run >>> 2, (run + 64 * KiB) >>> 2);
    expect(cache.take(space.i32, at, 40 * KiB)).toBe(run);
    expect(space.u32[run >>> 2]).toBe(0);
    expect(parked(space, at, 2)).toEqual([]);
  });

  it("passes over a slot another caller holds for a moment", () => {
    const { space, at, cache } = cacheSpace(1);
    const run = space.map(16 * KiB);
    Atomics.store(space.i32, at, -1); // as a caller between its claim and its store does
    expect(cache.offer(space.i32, at, run, 16 * KiB)).toBe(run);
    expect(cache.offer(space.i32, at, run, 16 * KiB, at + cache.words)).toBe(run);
    expect(cache.take(space.i32, at, 16 * KiB)).toBe(0);
    expect(cache.empty(space.i32, at, 0)).toBe(0);
    expect(cache.runAt(space.i32, at, 0)).toBe(0);
    Atomics.store(space.i32, at, 0);
    expect(cache.offer(space.i32, at, run, 16 * KiB)).toBe(0);
    expect(cache.take(space.i32, at, 16 * KiB)).toBe(run);
  });

  it("refuses a slot count it cannot hold", () => {
    expect(() => new RunCache(0)).toThrow(/slots/);
    expect(() => new RunCache(1.5)).toThrow(/slots/);
  });

  it("hands one run to one worker at a time", async () => {
    const { space, at } = cacheSpace(2);
    const runBytes = 16 * KiB;
    const cache = new RunCache(2);
    for (const run of [space.map(runBytes), space.map(runBytes)]) cache.offer(space.i32, at, run, runBytes);
    const holders = new Int32Array(new SharedArrayBuffer((space.maxBytes / PAGE) * 4));
    const url = new URL("./workers/run-takers.ts", import.meta.url);
    const data = { descriptor: space.share(), at, slots: 2, runBytes, holders, rounds: 20000 };
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runWorker<{ taken: number; shared: number }>(url, data)),
    );
    for (const { taken, shared } of results) {
      expect(shared).toBe(0);
      expect(taken).toBeGreaterThan(0);
    }
    expect(parked(space, at, 2)).toHaveLength(2);
    expect(space.check()).toEqual([]);
  });
});
