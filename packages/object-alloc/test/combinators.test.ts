import { describe, expect, it } from "vitest";
import {
  ArenaAlloc,
  FallbackAlloc,
  MemoryViews,
  NULL,
  NullAlloc,
  SegregatorAlloc,
  type TraceEvent,
  TracingAlloc,
} from "../src/index.js";
import { fill, holds, twoArenas, withoutOwns } from "./helpers.js";

describe("NullAlloc", () => {
  const none = new NullAlloc(new MemoryViews(new ArrayBuffer(8)));

  it("fails every request after validating it", () => {
    expect(none.alloc(8)).toBe(NULL);
    expect(none.allocZeroed(0, 64)).toBe(NULL);
    expect(none.realloc(NULL, 16)).toBe(NULL);
    expect(() => none.alloc(Number.NaN)).toThrow(/^size must be/);
    expect(() => none.alloc(8, 5)).toThrow(/^align must be/);
  });

  it("owns nothing and rejects foreign pointers", () => {
    expect(none.owns()).toBe(false);
    none.dealloc(NULL);
    expect(() => none.dealloc(64)).toThrow(/not allocated by NullAlloc/);
    expect(() => none.usableSize(64)).toThrow(RangeError);
    expect(() => none.realloc(64, 8)).toThrow(RangeError);
  });
});

describe("FallbackAlloc", () => {
  it("uses the fallback only when the primary fails", () => {
    const { low, high } = twoArenas(1024);
    const both = new FallbackAlloc(low, high);
    const a = both.alloc(512);
    const b = both.alloc(1024);
    expect(low.owns(a)).toBe(true);
    expect(high.owns(b)).toBe(true);
    expect(both.owns(a) && both.owns(b)).toBe(true);
    expect(both.usableSize(b)).toBe(1024);
    expect(both.allocZeroed(8)).not.toBe(NULL);
  });

  it("frees into the owner", () => {
    const { low, high } = twoArenas(1024);
    const both = new FallbackAlloc(low, high);
    both.alloc(1000);
    const big = both.alloc(2000);
    const highTop = high.top;
    both.dealloc(big);
    expect(high.top).toBeLessThan(highTop);
    both.dealloc(NULL);
  });

  it("moves a primary block to the fallback when the primary cannot grow it", () => {
    const { low, high } = twoArenas(1024);
    const both = new FallbackAlloc(low, high);
    const p = both.alloc(100);
    fill(both, p, 100, 3);
    const q = both.realloc(p, 5000, 8);
    expect(high.owns(q)).toBe(true);
    expect(holds(both, q, 100, 3)).toBe(true);
    const r = both.realloc(q, 6000);
    expect(high.owns(r)).toBe(true);
    expect(both.realloc(NULL, 4)).not.toBe(NULL);
  });

  it("returns NULL with the block untouched when both fail", () => {
    const { low, high } = twoArenas(1024, 2048);
    const both = new FallbackAlloc(low, high);
    const p = both.alloc(100);
    fill(both, p, 100, 5);
    expect(both.realloc(p, 4000)).toBe(NULL);
    expect(low.owns(p) && holds(both, p, 100, 5)).toBe(true);
    expect(both.alloc(10_000)).toBe(NULL);
  });

  it("composes with NullAlloc as identity", () => {
    const { memory, low } = twoArenas();
    const alone = new FallbackAlloc(low, new NullAlloc(memory));
    expect(alone.alloc(40_000)).toBe(NULL);
    expect(alone.alloc(40)).not.toBe(NULL);
  });

  it("rejects allocators on different memories, and owns() it cannot answer", () => {
    const { low } = twoArenas();
    const other = new ArenaAlloc(new MemoryViews(new ArrayBuffer(1024)), 0, 1024);
    expect(() => new FallbackAlloc(low, other)).toThrow(/same memory/);
    const { low: l2, high: h2 } = twoArenas();
    const blind = new FallbackAlloc(l2, withoutOwns(h2));
    expect(() => blind.owns(60_000)).toThrow(/cannot answer owns/);
  });
});

describe("SegregatorAlloc", () => {
  it("routes by size and frees by ownership", () => {
    const { low, high } = twoArenas();
    const seg = new SegregatorAlloc(64, low, high);
    const small = seg.alloc(64);
    const large = seg.alloc(65);
    expect(low.owns(small)).toBe(true);
    expect(high.owns(large)).toBe(true);
    expect(seg.owns(small) && seg.owns(large)).toBe(true);
    const top = high.top;
    seg.dealloc(large, 1);
    expect(high.top).toBeLessThan(top);
    expect(low.owns(seg.allocZeroed(8))).toBe(true);
  });

  it("moves blocks across the threshold on realloc, keeping contents", () => {
    const { low, high } = twoArenas();
    const seg = new SegregatorAlloc(64, low, high);
    const p = seg.alloc(32);
    fill(seg, p, 32, 11);
    const q = seg.realloc(p, 1000);
    expect(high.owns(q) && holds(seg, q, 32, 11)).toBe(true);
    const r = seg.realloc(q, 16);
    expect(low.owns(r) && holds(seg, r, 16, 11)).toBe(true);
    expect(seg.realloc(r, 48)).toBe(r);
    expect(seg.usableSize(r)).toBe(48);
  });

  it("routes with only one owner", () => {
    const { low, high } = twoArenas();
    const seg = new SegregatorAlloc(64, withoutOwns(low), high);
    const small = seg.alloc(8);
    const large = seg.alloc(800);
    expect(seg.usableSize(small)).toBe(8);
    expect(seg.usableSize(large)).toBe(800);
    expect(() => seg.owns(small)).toThrow(/both allocators/);
  });

  it("validates its configuration", () => {
    const { low, high } = twoArenas();
    expect(() => new SegregatorAlloc(-1, low, high)).toThrow(/^threshold must be/);
    expect(() => new SegregatorAlloc(64, withoutOwns(low), withoutOwns(high))).toThrow(/owns/);
  });
});

describe("TracingAlloc", () => {
  it("reports each operation and keeps counters", () => {
    const { low } = twoArenas();
    const events: TraceEvent[] = [];
    const traced = new TracingAlloc(low, (e) => events.push(e));
    const a = traced.alloc(100, 8);
    const b = traced.allocZeroed(3);
    const c = traced.realloc(a, 300);
    traced.dealloc(b);
    expect(traced.alloc(1_000_000)).toBe(NULL);
    expect(events.map((e) => e.op)).toEqual(["alloc", "alloc", "realloc", "dealloc", "alloc"]);
    expect(events[2]).toMatchObject({ op: "realloc", ptr: c, oldPtr: a, size: 300, oldSize: 100 });
    expect(events[4]).toMatchObject({ op: "alloc", ptr: NULL });
    const stats = traced.stats();
    expect(stats).toMatchObject({
      liveBlocks: 1,
      liveBytes: 300,
      peakBytes: 303,
      allocs: 3,
      deallocs: 1,
      reallocs: 1,
      failures: 1,
    });
    expect(stats.histogram).toEqual([
      { maxSize: 4, count: 1 },
      { maxSize: 128, count: 1 },
      { maxSize: 2 ** 20, count: 1 },
    ]);
    expect(traced.isLive(c)).toBe(true);
    expect(traced.usableSize(c)).toBe(300);
  });

  it("rejects double frees and foreign pointers before the inner allocator sees them", () => {
    const { low } = twoArenas();
    const traced = new TracingAlloc(low);
    const p = traced.alloc(8);
    traced.dealloc(p);
    expect(() => traced.dealloc(p)).toThrow(/not a live block/);
    expect(() => traced.realloc(12345, 8)).toThrow(/not a live block/);
    expect(() => traced.dealloc(-1)).toThrow(/^ptr must be/);
    traced.dealloc(NULL);
  });

  it("keeps the block live when realloc fails", () => {
    const { low } = twoArenas();
    const traced = new TracingAlloc(low);
    const p = traced.alloc(8);
    traced.alloc(8);
    expect(traced.realloc(p, 1_000_000)).toBe(NULL);
    expect(traced.isLive(p)).toBe(true);
    expect(traced.stats()).toMatchObject({ liveBlocks: 2, failures: 1 });
  });
});
