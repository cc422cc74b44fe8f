import { describe, expect, it } from "vitest";
import { H_LEAVES, H_LENGTH16, H_LOCK, H_MAPPED, tagBase } from "../src/header.js";
import { AddressSpace } from "../src/index.js";
import {
  LOG_ACTIVE,
  LOG_CACHE_AT,
  LOG_COUNT,
  LOG_MAPPED,
  LOG_START,
  LOG_TAGS,
  LOG_USED,
} from "../src/redo-log.js";

const PAGE = 4096;
const MiB = 1 << 20;

function isZero(space: AddressSpace, ptr: number, bytes: number): boolean {
  // A fixed-length view: element reads on length-tracking views are slow in Node 20.
  const words = new Int32Array(space.buffer, ptr, bytes / 4);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** The state a rejected call must leave unchanged: counters and the metadata words. */
function snapshot(space: AddressSpace) {
  return {
    stats: space.stats(),
    meta: new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4).slice(),
  };
}

describe("map and unmap", () => {
  it("returns zeroed, page-aligned runs above the metadata, and zeroes reused ones", () => {
    const space = AddressSpace.create({ maxBytes: 16 * MiB });
    expect(space.pageSize).toBe(PAGE);
    const reserved = space.stats().reservedBytes;
    const a = space.map(1);
    const b = space.map(16 * PAGE);
    expect(a).toBe(reserved);
    expect(b).toBe(a + PAGE);
    expect(isZero(space, a, PAGE) && isZero(space, b, 16 * PAGE)).toBe(true);
    space.u8.fill(0xab, b, b + 16 * PAGE);
    space.unmap(b, 16 * PAGE);
    const c = space.map(16 * PAGE);
    expect(c).toBe(b);
    expect(isZero(space, c, 16 * PAGE)).toBe(true);
    expect(space.check()).toEqual([]);
  });

  it("aligns runs up to 64 MiB", () => {
    const space = AddressSpace.create({ maxBytes: 160 * MiB });
    const ptrs: [number, number][] = [];
    for (let align = PAGE; align <= 64 * MiB; align *= 2) {
      const ptr = space.map(PAGE, align);
      expect(ptr % align).toBe(0);
      ptrs.push([ptr, PAGE]);
    }
    for (const [ptr, bytes] of ptrs) space.unmap(ptr, bytes);
    const big = space.map(32 * MiB, 64 * MiB);
    expect(big % (64 * MiB)).toBe(0);
    space.u32[(big + 32 * MiB) / 4 - 1] = 1;
    expect(space.check()).toEqual([]);
    space.unmap(big, 32 * MiB);
    expect(space.stats().mappedBytes).toBe(0);
  });

  it("returns 0 at maxBytes, and maps again after an unmap", () => {
    const space = AddressSpace.create({ maxBytes: 4 * MiB, initialBytes: MiB });
    const { reservedBytes } = space.stats();
    const runs: number[] = [];
    for (let ptr = space.map(8 * PAGE); ptr !== 0; ptr = space.map(8 * PAGE)) runs.push(ptr);
    const stats = space.stats();
    expect(stats.committedBytes).toBe(4 * MiB);
    expect(reservedBytes + stats.mappedBytes + stats.freeBytes).toBe(4 * MiB);
    expect(stats.freeBytes).toBeLessThan(8 * PAGE);
    expect(space.map(5 * MiB)).toBe(0);
    space.unmap(runs[3], 8 * PAGE);
    expect(space.map(8 * PAGE)).toBe(runs[3]);
    expect(space.check()).toEqual([]);
  });

  it("unmaps the head or tail of a run and refuses the middle", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const run = space.map(8 * PAGE);
    space.unmap(run, 2 * PAGE);
    expect(space.runSize(run + 2 * PAGE)).toBe(6 * PAGE);
    space.unmap(run + 6 * PAGE, 2 * PAGE);
    expect(space.runSize(run + 2 * PAGE)).toBe(4 * PAGE);
    expect(() => space.unmap(run + 3 * PAGE, PAGE)).toThrow(RangeError);
    expect(space.check()).toEqual([]);
    space.unmap(run + 2 * PAGE, 4 * PAGE);
    expect(space.stats().mappedBytes).toBe(0);
    expect(space.check()).toEqual([]);
  });

  it("coalesces free runs whatever the order of unmaps", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const largest = space.stats().largestFreeRun;
    const RUN = 2 * PAGE; // single pages would go to the single-page cache first
    const runs = Array.from({ length: 64 }, () => space.map(RUN));
    for (let i = 0; i < 64; i += 2) space.unmap(runs[i], RUN);
    expect(space.stats().largestFreeRun).toBe(largest - 64 * RUN);
    expect(space.map(2 * RUN)).toBe(runs[63] + RUN);
    space.unmap(runs[63] + RUN, 2 * RUN);
    for (let i = 63; i > 0; i -= 2) space.unmap(runs[i], RUN);
    expect(space.stats().largestFreeRun).toBe(largest);
    expect(space.map(64 * RUN)).toBe(runs[0]);
    expect(space.check()).toEqual([]);
  });

  it("keeps up to 32 unmapped single pages in the shared cache (a space under 1024 pages has no handle caches), and returns them to the tree when a map needs room", () => {
    const space = AddressSpace.create({ maxBytes: 2 * MiB, backing: "local" });
    const largest = space.stats().largestFreeRun;
    const pages = Array.from({ length: 40 }, () => space.map(PAGE));
    space.u8.fill(1, pages[0], pages[39] + PAGE);
    for (const page of pages) space.unmap(page, PAGE);
    // 32 pages wait in the cache (zeroed, free in the statistics), the last 8 went back to the tree.
    expect(space.stats().mappedBytes).toBe(0);
    expect(space.stats().largestFreeRun).toBe(largest - 32 * PAGE);
    expect(space.check()).toEqual([]);
    const again = space.map(PAGE);
    expect(again).toBe(pages[31]); // last in, first out
    expect(isZero(space, again, PAGE)).toBe(true);
    expect(() => space.unmap(pages[30], PAGE)).toThrow(/already unmapped/);
    expect(() => space.uncommit(pages[30], PAGE)).toThrow(/mapped pages/);
    space.unmap(again, PAGE);
    const all = space.map(largest);
    expect(all).toBe(pages[0]); // the cache was flushed, and its pages coalesced with the rest
    expect(space.check()).toEqual([]);
  });

  it("keeps unmapped single pages in the handle's cache (8), then the shared one (32), and returns them to the tree when a map needs room", () => {
    const space = AddressSpace.create({ maxBytes: 32 * MiB, backing: "local" });
    const largest = space.stats().largestFreeRun;
    const pages = Array.from({ length: 48 }, () => space.map(PAGE));
    space.u8.fill(1, pages[0], pages[47] + PAGE);
    for (const page of pages) space.unmap(page, PAGE);
    // 8 + 32 pages wait in the caches (zeroed, free in the statistics), the last 8 went back to the tree.
    expect(space.stats().mappedBytes).toBe(0);
    expect(space.stats().largestFreeRun).toBe(largest - 40 * PAGE);
    expect(space.check()).toEqual([]);
    const again = space.map(PAGE);
    expect(again).toBe(pages[7]); // the handle's cache first, last in, first out
    expect(isZero(space, again, PAGE)).toBe(true);
    expect(() => space.unmap(pages[6], PAGE)).toThrow(/already unmapped/);
    expect(() => space.uncommit(pages[30], PAGE)).toThrow(/mapped pages/);
    const fromShared = Array.from({ length: 8 }, () => space.map(PAGE));
    expect(fromShared[7]).toBe(pages[39]); // then the shared cache
    space.unmap(again, PAGE);
    for (const page of fromShared) space.unmap(page, PAGE);
    const all = space.map(largest);
    expect(all).toBe(pages[0]); // both caches were flushed, and their pages coalesced with the rest
    expect(space.check()).toEqual([]);
  });

  it("grows the buffer in amortised steps and keeps views current", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const before = space.stats().committedBytes;
    const u8 = space.u8;
    const runs = Array.from({ length: 200 }, () => space.map(16 * PAGE));
    const stats = space.stats();
    expect(stats.committedBytes).toBeGreaterThan(before);
    // Steps of at least 1/32 of the length: geometric, so the growths are logarithmic in the size...
    const steps = Math.log(stats.committedBytes / before) / Math.log(1 + 1 / 32);
    expect(stats.growths).toBeLessThanOrEqual(Math.ceil(steps) + 1);
    // ...and small, so the buffer (which never shrinks) holds at most about a step beyond the last run.
    const last = runs[runs.length - 1];
    expect(stats.committedBytes).toBeLessThanOrEqual(Math.ceil((last + 16 * PAGE) * (1 + 1 / 32)) + PAGE);
    expect(space.u8.length).toBe(stats.committedBytes);
    expect(u8.length).toBe(before); // a view read before growth keeps its length: read the property again
    space.f64[(last + 16 * PAGE) / 8 - 1] = 1.5;
    expect(space.view.getFloat64(last + 16 * PAGE - 8, true)).toBe(1.5);
  });
});

describe("remap", () => {
  it("grows in place when the next pages are free, keeping the contents", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(2 * PAGE);
    space.u32.fill(0x1234, ptr / 4, (ptr + 2 * PAGE) / 4);
    expect(space.remap(ptr, 2 * PAGE, 5 * PAGE)).toBe(ptr);
    expect(space.u32[(ptr + 2 * PAGE) / 4 - 1]).toBe(0x1234);
    expect(isZero(space, ptr + 2 * PAGE, 3 * PAGE)).toBe(true);
    expect(space.runSize(ptr)).toBe(5 * PAGE);
    expect(space.check()).toEqual([]);
  });

  it("moves when a neighbour blocks it, and shrinks in place", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(3 * PAGE);
    const neighbour = space.map(PAGE);
    space.u32.fill(0xbeef, ptr / 4, (ptr + 3 * PAGE) / 4);
    const moved = space.remap(ptr, 3 * PAGE, 6 * PAGE);
    expect(moved).not.toBe(ptr);
    expect(moved).toBeGreaterThan(neighbour);
    expect(space.u32[moved / 4]).toBe(0xbeef);
    expect(space.u32[(moved + 3 * PAGE) / 4 - 1]).toBe(0xbeef);
    expect(isZero(space, moved + 3 * PAGE, 3 * PAGE)).toBe(true);
    expect(space.runSize(ptr)).toBe(0);
    // The old pages were freed dirty: mapped again, they read zero.
    expect(space.map(3 * PAGE)).toBe(ptr);
    expect(isZero(space, ptr, 3 * PAGE)).toBe(true);
    expect(space.remap(moved, 6 * PAGE, 2 * PAGE)).toBe(moved);
    expect(space.runSize(moved)).toBe(2 * PAGE);
    expect(space.u32[(moved + 2 * PAGE) / 4 - 1]).toBe(0xbeef);
    expect(space.check()).toEqual([]);
  });

  it("honours an alignment when it moves, and returns 0 with the run untouched when there is no room", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(PAGE);
    space.map(PAGE);
    space.u8[ptr] = 9;
    const moved = space.remap(ptr, PAGE, 2 * PAGE, MiB);
    expect(moved % MiB).toBe(0);
    expect(space.u8[moved]).toBe(9);
    expect(space.remap(moved, 2 * PAGE, 64 * MiB)).toBe(0);
    expect(space.runSize(moved)).toBe(2 * PAGE);
    expect(space.u8[moved]).toBe(9);
    expect(space.check()).toEqual([]);
  });
});

describe("commit and uncommit", () => {
  it("uncommit zeroes mapped pages; both refuse unmapped ones", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(4 * PAGE);
    space.u8.fill(5, ptr, ptr + 4 * PAGE);
    space.commit(ptr, 4 * PAGE);
    space.uncommit(ptr + PAGE, 2 * PAGE);
    expect(space.u8[ptr]).toBe(5);
    expect(isZero(space, ptr + PAGE, 2 * PAGE)).toBe(true);
    expect(space.u8[ptr + 3 * PAGE]).toBe(5);
    expect(() => space.commit(ptr, 5 * PAGE)).toThrow(/mapped pages/);
    expect(() => space.uncommit(ptr + 4 * PAGE, PAGE)).toThrow(RangeError);
  });
});

describe("bad input", () => {
  it("throws a RangeError naming the argument and changes nothing", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(2 * PAGE);
    const other = space.map(PAGE);
    space.unmap(other, PAGE);
    const before = snapshot(space);
    const cases: [() => unknown, RegExp][] = [
      [() => space.map(0), /bytes/],
      [() => space.map(-1), /bytes/],
      [() => space.map(Number.NaN), /bytes/],
      [() => space.map(2 ** 32 + 1), /bytes/],
      [() => space.map(1.5), /bytes/],
      [() => space.map(PAGE, 3), /align/],
      [() => space.map(PAGE, PAGE, 200), /label/],
      [() => space.unmap(ptr + 1, PAGE), /ptr/],
      [() => space.unmap(0, PAGE), /ptr/],
      [() => space.unmap(-PAGE, PAGE), /ptr/],
      [() => space.unmap(ptr, 0), /bytes/],
      [() => space.unmap(ptr, Number.NaN), /bytes/],
      [() => space.unmap(ptr, 3 * PAGE), /not the head or tail/],
      [() => space.unmap(other, PAGE), /not the head or tail/],
      [() => space.unmap(2 ** 32, PAGE), /ptr/],
      [() => space.remap(ptr, PAGE, 4 * PAGE), /ptr/],
      [() => space.remap(ptr, 2 * PAGE, -1), /newBytes/],
      [() => space.remap(other, PAGE, 2 * PAGE), /ptr/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(message);
    }
    expect(snapshot(space)).toEqual(before);
    expect(() => space.unmap(ptr, 2 * PAGE)).not.toThrow();
    expect(() => space.unmap(ptr, 2 * PAGE)).toThrow(/already unmapped/);
  });

  it("validates the options of create", () => {
    expect(() => AddressSpace.create({ maxBytes: 8 * MiB, pageSize: 1024 })).toThrow(/pageSize/);
    expect(() => AddressSpace.create({ maxBytes: 8 * MiB, pageSize: 5000 })).toThrow(/pageSize/);
    expect(() => AddressSpace.create({ maxBytes: 2 ** 33 })).toThrow(/maxBytes/);
    expect(() => AddressSpace.create({ maxBytes: 4096 })).toThrow(/maxBytes must leave room/);
    expect(() => AddressSpace.create({ maxBytes: 8 * MiB, initialBytes: 9 * MiB })).toThrow(/initialBytes/);
    expect(() => AddressSpace.create({ maxBytes: 8 * MiB, base: -1 })).toThrow(/base/);
  });
});

describe("check", () => {
  it("reports a corrupted run tag, an unzeroed free page and a wrong counter", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(2 * PAGE);
    const free = space.map(PAGE);
    space.unmap(free, PAGE);
    expect(space.check()).toEqual([]);
    const meta = new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
    meta[tagBase(meta[H_LEAVES]) + ptr / PAGE + 1] = 0; // the tail tag of the 2-page run
    meta[H_MAPPED] += 1;
    space.u8[free + 100] = 1;
    const problems = space.check();
    expect(problems.some((p) => p.includes("tail tag"))).toBe(true);
    expect(problems.some((p) => p.includes("is not zero"))).toBe(true);
    expect(problems.some((p) => p.includes("mapped counter"))).toBe(true);
  });
});

describe("dirty pages", () => {
  /** A space with a 6-page run filled with 0xee, then unmapped: its pages are free and dirty. */
  function freedDirty() {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const run = space.map(6 * PAGE);
    space.u8.fill(0xee, run, run + 6 * PAGE);
    space.unmap(run, 6 * PAGE);
    return { space, run };
  }

  it("unmap of several pages does not zero them; map zeroes them; check accepts them", () => {
    const { space, run } = freedDirty();
    expect(space.u8[run + 3 * PAGE]).toBe(0xee);
    expect(space.check()).toEqual([]);
    expect(space.map(6 * PAGE)).toBe(run);
    expect(isZero(space, run, 6 * PAGE)).toBe(true);
    expect(space.check()).toEqual([]);
  });

  it("map with zero = false hands dirty pages out as they are, and zeroes nothing fresh needs", () => {
    const { space, run } = freedDirty();
    expect(space.map(6 * PAGE, PAGE, 0, false)).toBe(run);
    expect(space.u8[run]).toBe(0xee);
    expect(space.u8[run + 6 * PAGE - 1]).toBe(0xee);
    const fresh = space.map(4 * PAGE, PAGE, 0, false);
    expect(isZero(space, fresh, 4 * PAGE)).toBe(true);
    expect(space.check()).toEqual([]);
    // Mapped without zeroing, then unmapped and mapped zeroed: every page reads zero.
    space.unmap(run, 6 * PAGE);
    expect(space.map(6 * PAGE)).toBe(run);
    expect(isZero(space, run, 6 * PAGE)).toBe(true);
  });

  it("zeroes exactly the dirty pages of a run that spans dirty and clean ones", () => {
    const { space, run } = freedDirty();
    // The dirty pages run..run+6 are followed by clean, never used ones: a 10-page run covers both.
    expect(space.map(10 * PAGE)).toBe(run);
    expect(isZero(space, run, 10 * PAGE)).toBe(true);
    expect(space.check()).toEqual([]);
  });

  it("head and tail unmaps leave dirty pages that a later map or in-place growth zeroes", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const run = space.map(8 * PAGE);
    space.u8.fill(0xee, run, run + 8 * PAGE);
    space.unmap(run, 2 * PAGE); // head
    space.unmap(run + 6 * PAGE, 2 * PAGE); // tail
    expect(space.check()).toEqual([]);
    expect(space.map(2 * PAGE)).toBe(run);
    expect(isZero(space, run, 2 * PAGE)).toBe(true);
    const middle = run + 2 * PAGE;
    expect(space.remap(middle, 4 * PAGE, 6 * PAGE)).toBe(middle);
    expect(space.u8[middle]).toBe(0xee); // kept: the run's own bytes
    expect(isZero(space, middle + 4 * PAGE, 2 * PAGE)).toBe(true);
    expect(space.check()).toEqual([]);
  });

  it("a worker that died after tagging the pages inside its run, before unmapping it, leaves a sound space", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const run = space.map(4 * PAGE);
    const meta = new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
    const tags = tagBase(meta[H_LEAVES]);
    meta[tags + run / PAGE + 1] = -1;
    meta[tags + run / PAGE + 2] = -1;
    expect(space.check()).toEqual([]);
    space.unmap(run, 4 * PAGE);
    expect(space.check()).toEqual([]);
  });
});

describe("published length", () => {
  it("covers every run after growth, so other handles' views reach them without a byteLength read", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const other = AddressSpace.attach(space.share());
    const before = other.u8.length;
    const ptr = space.map(4 * MiB);
    expect(ptr + 4 * MiB).toBeGreaterThan(before);
    other.u8[ptr + 4 * MiB - 1] = 7;
    expect(space.u8[ptr + 4 * MiB - 1]).toBe(7);
    expect(space.check()).toEqual([]);
  });

  it("is audited: a published length beyond the buffer, or below a run, is reported", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const ptr = space.map(PAGE);
    const meta = new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
    meta[H_LENGTH16] = ptr / 16;
    expect(space.check().some((p) => p.includes("published length"))).toBe(true);
    meta[H_LENGTH16] = space.buffer.byteLength / 16 + 1;
    expect(space.check().some((p) => p.includes("exceeds the buffer"))).toBe(true);
  });
});

describe("crash recovery", () => {
  it("replays the half-done change of a worker that died holding the lock", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const dead = AddressSpace.attach(space.share());
    const first = space.map(2 * PAGE);
    space.unmap(first, 2 * PAGE);
    const meta = new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
    const page = first / PAGE;
    // What `dead.map(2 pages)` would have done, stopped after logging it and writing one tag.
    Atomics.store(meta, H_LOCK, dead.holder << 1);
    meta[LOG_START] = page;
    meta[LOG_COUNT] = 2;
    meta[LOG_USED] = 1;
    meta[LOG_MAPPED] = 2;
    meta[LOG_TAGS] = page;
    meta[LOG_TAGS + 1] = 2;
    meta[LOG_TAGS + 2] = page + 1;
    meta[LOG_TAGS + 3] = -2;
    for (let slot = 2; slot < 4; slot++) meta[LOG_TAGS + 2 * slot] = -1;
    meta[LOG_CACHE_AT] = -1;
    meta[LOG_ACTIVE] = 1;
    expect(space.recover(space.holder)).toBe(false);
    expect(space.recover(dead.holder)).toBe(true);
    expect(space.check()).toEqual([]);
    expect(space.runSize(first)).toBe(2 * PAGE);
    expect(space.stats().mappedBytes).toBe(2 * PAGE);
    expect(space.map(PAGE)).toBe(first + 2 * PAGE);
  });

  it("replaying a change that was complete changes nothing", () => {
    const space = AddressSpace.create({ maxBytes: 8 * MiB });
    const dead = AddressSpace.attach(space.share());
    const ptr = dead.map(3 * PAGE);
    dead.unmap(ptr, PAGE);
    const meta = new Int32Array(space.buffer, 0, space.stats().reservedBytes / 4);
    const before = meta.slice();
    Atomics.store(meta, H_LOCK, dead.holder << 1);
    meta[LOG_ACTIVE] = 1;
    expect(space.recover(dead.holder)).toBe(true);
    expect(meta.slice()).toEqual(before);
    expect(space.check()).toEqual([]);
  });
});

describe("random operations against a model", () => {
  it("agrees with a list of live runs and keeps every invariant", () => {
    const space = AddressSpace.create({ maxBytes: 32 * MiB, initialBytes: MiB });
    const live = new Map<number, { pages: number; stamp: number }>();
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 3000; step++) {
      const ptrs = [...live.keys()];
      const op = random(10);
      if (op < 5 || ptrs.length === 0) {
        const pages = 1 + random(12);
        const align = random(6) === 0 ? PAGE << random(6) : PAGE;
        const ptr = space.map(pages * PAGE, align);
        if (ptr === 0) continue;
        expect(ptr % align).toBe(0);
        expect(isZero(space, ptr, pages * PAGE)).toBe(true);
        const overlaps = [...live].filter(([p, run]) => ptr < p + run.pages * PAGE && p < ptr + pages * PAGE);
        expect(overlaps).toEqual([]);
        space.u32.fill(step, ptr / 4, (ptr + pages * PAGE) / 4);
        live.set(ptr, { pages, stamp: step });
      } else {
        const ptr = ptrs[random(ptrs.length)];
        const run = live.get(ptr)!;
        expect(space.u32[(ptr + run.pages * PAGE) / 4 - 1]).toBe(run.stamp);
        live.delete(ptr);
        if (op < 8) {
          space.unmap(ptr, run.pages * PAGE);
        } else {
          const pages = 1 + random(16);
          const moved = space.remap(ptr, run.pages * PAGE, pages * PAGE);
          expect(moved).not.toBe(0);
          expect(space.u32[moved / 4]).toBe(run.stamp);
          space.u32.fill(step, moved / 4, (moved + pages * PAGE) / 4);
          live.set(moved, { pages, stamp: step });
        }
      }
      if (step % 500 === 0) expect(space.check()).toEqual([]);
    }
    const mapped = [...live.values()].reduce((sum, run) => sum + run.pages * PAGE, 0);
    expect(space.stats().mappedBytes).toBe(mapped);
    expect(space.check()).toEqual([]);
  });
});
