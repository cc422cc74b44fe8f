import { startWorker } from "@allocators/test-kit";
import { MemPool } from "@thi.ng/malloc";
import { describe, expect, it } from "vitest";
import arena from "../examples/adapters/arena.js";
import bsalloc from "../examples/adapters/bsalloc.js";
import composed from "../examples/adapters/composed.js";
import elfmalloc from "../examples/adapters/elfmalloc.js";
import mapAlloc from "../examples/adapters/map-alloc.js";
import objectPool from "../examples/adapters/object-pool.js";
import slabAlloc from "../examples/adapters/slab-alloc.js";
import thingMalloc from "../examples/adapters/thing-malloc.js";
import { checkAlloc, resultOf } from "../src/index.js";
import { nodeWorkerHost } from "../src/node.js";
import { describeAdapter } from "../src/vitest.js";

const options = { seed: 11, ops: 5000, propertyRuns: 40 };

// What an arena does not do is a report fact: freed blocks come back only last-first or per scope, so memory
// freed in any other order stays unusable.
describeAdapter(arena, { ...options, expect: { leak: "fail", workers: "skip", "object-cache": "skip" } });
describeAdapter(composed, { ...options, expect: { leak: "fail", workers: "skip", "object-cache": "skip" } });

// The suite's own thread-safe allocators: every check passes, workers included. Fewer operations: each of
// MapAlloc's blocks is a zeroed run of pages, and the point here is the verdict, not volume.
const host = nodeWorkerHost(startWorker);
const threadSafe = (file: string) => ({
  seed: 11,
  ops: 1500,
  propertyRuns: 15,
  workers: { count: 2, host, url: new URL(file, import.meta.url), ops: 1500 },
  expect: { workers: "pass", "object-cache": "skip" } as const,
});
describeAdapter(mapAlloc, threadSafe("../examples/adapters/map-alloc.ts"));
describeAdapter(bsalloc, threadSafe("../examples/adapters/bsalloc.ts"));

// elfmalloc, default and checked mode, on a 4 MiB heap shared by 2 workers: every check passes, `leak` included
// (it once found that a thread's caches kept empty slabs when malloc ran out; malloc now trims them first).
for (const adapter of elfmalloc) {
  describeAdapter(adapter, threadSafe("../examples/adapters/elfmalloc.ts"));
}

// slab-alloc: SlabAlloc as an untyped object allocator (single-threaded by design: no workers check) and
// ObjectPool under the constructed-object caching contract. Every check that applies passes.
describeAdapter(slabAlloc, { ...options, expect: { workers: "skip" } });
describeAdapter(objectPool, options);

// @thi.ng/malloc's known bugs (js-ecosystem.md §2.1): no size validation (NaN, 2^32 - 4 and fractions get
// blocks), 32-bit padding that wraps (a realloc to 2^31 "succeeds" in place), and a moving realloc that leaks
// the old block. The corruption run also finds one that was not known: a shrinking realloc of the block at the
// top lowers the top without shrinking the block, so its tail is handed out again (reproduced below with the
// raw MemPool API). The report must find them all; the other checks pass.
describeAdapter(thingMalloc, {
  ...options,
  expect: {
    corruption: "fail",
    realloc: "fail",
    "too-large": "fail",
    leak: "fail",
    workers: "skip",
    "object-cache": "skip",
  },
});

describe("what the report says about @thi.ng/malloc", () => {
  it("finds its bugs, each with a reproduction", async () => {
    const report = await checkAlloc(thingMalloc, { ...options, only: ["realloc", "too-large", "leak"] });
    const tooLarge = resultOf(report, "too-large")?.failure;
    expect(tooLarge?.kind).toBe("accepted-bad-size");
    expect(tooLarge?.ops.some((op) => /^alloc\(NaN,1\)->\d+$/.test(op))).toBe(true);
    expect(tooLarge?.ops.some((op) => /^alloc\(4294967292,1\)->\d+$/.test(op))).toBe(true);
    expect(tooLarge?.ops.some((op) => /^alloc\(0\.5,1\)->\d+$/.test(op))).toBe(true);
    const realloc = resultOf(report, "realloc")?.failure;
    expect(realloc?.kind).toBe("out-of-bounds");
    expect(realloc?.ops.at(-1)).toMatch(/^realloc\(p\d+,2147483648\)->p\d+$/);
    const leak = resultOf(report, "leak");
    expect(leak?.failure?.kind).toBe("leak");
    const fits = (leak?.detail.match(/\d+(?= ->| \()/g) ?? []).map(Number);
    expect(fits.at(-1)).toBeLessThan(fits[1]);
  });

  it("finds blocks handed out over a live block's tail, shrunk to a few operations", async () => {
    const report = await checkAlloc(thingMalloc, { seed: 11, ops: 5000, only: ["corruption"] });
    const failure = resultOf(report, "corruption")?.failure;
    expect(failure?.kind).toBe("corrupted");
    expect(failure?.ops.length).toBeLessThanOrEqual(12);
    expect(failure?.ops.slice(0, 3)).toEqual(["alloc(3,8)->p0", "realloc(p0,11)->p0", "realloc(p0,6)->p0"]);
  });

  it("is right about that bug: the raw MemPool API hands out the tail of a live block", () => {
    const pool = new MemPool({ buf: new ArrayBuffer(1 << 16) });
    const header = (ptr: number) => new Uint32Array(pool.buf)[(ptr - 8) >>> 2];
    const p = pool.malloc(229);
    pool.realloc(p, 11); // shrinks the block at the top to 24 B (8 B header + 16)
    expect(pool.realloc(p, 6)).toBe(p); // lowers the top by 8 B, but the block still says 24 B
    const q = pool.malloc(13);
    expect(header(p)).toBe(24);
    expect(q - 8).toBeLessThan(p - 8 + header(p)); // q's header lies inside p's block
    expect(pool.realloc(p, 16)).toBe(p); // and growing p back in place now overwrites q's header
  });
});

describe("one 100 000-operation corruption run on a real allocator", () => {
  it("ArenaAlloc passes it", async () => {
    const report = await checkAlloc(arena, { seed: 2026, ops: 100_000, only: ["corruption"] });
    expect(resultOf(report, "corruption")).toMatchObject({
      status: "pass",
      detail: expect.stringMatching(/^100000 random ops/),
    });
  });
});
