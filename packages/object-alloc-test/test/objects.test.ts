import { describe, expect, it } from "vitest";
import { checkObjectAlloc, checkUntypedObjectAlloc, formatReport, resultOf } from "../src/index.js";
import { MEMORY_CHECKS } from "../src/report.js";
import { describeAdapter } from "../src/vitest.js";
import { doublePushPool, fixed, fixedTaggingNeighbour, scribblingPool, stackPool } from "./fixtures/pools.js";

const options = { seed: 5, ops: 5000, propertyRuns: 40 };

describeAdapter(stackPool, { ...options, expect: Object.fromEntries(MEMORY_CHECKS.map((c) => [c, "skip"])) });
describeAdapter(fixed, {
  ...options,
  expect: {
    realloc: "skip",
    zeroed: "skip",
    "usable-size": "skip",
    "too-large": "skip",
    "size-align-matrix": "skip",
    "object-cache": "skip",
    workers: "skip",
  },
});

describe("the constructed-object caching contract", () => {
  it("reports how many objects came back from the cache", async () => {
    const report = await checkObjectAlloc(stackPool, { ...options, only: ["object-cache"] });
    expect(resultOf(report, "object-cache")?.detail).toBe(
      "100 objects given back then 100 asked: 100 came from the cache in their dealloc state, 100 constructed (peak 100 live)",
    );
  });

  it("catches a pool that hands a cached object out twice", async () => {
    const report = await checkObjectAlloc(doublePushPool, options);
    const result = resultOf(report, "corruption");
    expect(result?.status, formatReport(report)).toBe("fail");
    expect(result?.failure?.kind).toBe("double-hand-out");
    expect(result?.failure?.ops.at(-1)).toMatch(/^alloc\(\)->o\d+$/);
  });

  it("catches a pool that changes objects it caches", async () => {
    const report = await checkObjectAlloc(scribblingPool, options);
    for (const check of ["corruption", "object-cache"] as const) {
      expect(resultOf(report, check)?.failure?.kind, formatReport(report)).toBe("object-cache");
    }
    expect(resultOf(report, "object-cache")?.detail).toMatch(/came back changed since its dealloc$/);
  });
});

describe("untyped object allocators", () => {
  it("names the layout in the report", async () => {
    const report = await checkUntypedObjectAlloc(fixed, { ...options, only: ["corruption"] });
    expect(report.allocator).toBe("fixed blocks (Layout(size 24, align 8))");
    expect(report.passed).toBe(true);
  });

  it("catches a free list that writes a tag into a live neighbour", async () => {
    const report = await checkUntypedObjectAlloc(fixedTaggingNeighbour, options);
    const result = resultOf(report, "contents");
    expect(result?.status, formatReport(report)).toBe("fail");
    expect(result?.failure?.kind).toBe("corrupted");
  });
});
