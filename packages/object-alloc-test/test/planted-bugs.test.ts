import { describe, expect, it } from "vitest";
import { type CheckName, checkAlloc, formatReport, resultOf, type ViolationKind } from "../src/index.js";
import { describeAlloc } from "../src/vitest.js";
import {
  acceptsNaN,
  handsOutLiveTwice,
  losesContentsOnRealloc,
  metadataInUserData,
  overlapping,
} from "./fixtures/broken.js";
import { ClassAlloc } from "./fixtures/class-alloc.js";

const fast = { seed: 7, ops: 3000, propertyRuns: 30 };

// A correct allocator: no false positives (every check passes; only the checks it cannot be asked are skipped).
describeAlloc("ClassAlloc, a correct allocator", () => new ClassAlloc(new ArrayBuffer(1 << 20)), {
  ...fast,
  expect: { "object-cache": "skip", workers: "skip" },
});

const planted: [string, Parameters<typeof checkAlloc>[0], CheckName, ViolationKind][] = [
  ["overlaps blocks", overlapping, "no-overlap", "overlap"],
  ["writes metadata into user data", metadataInUserData, "contents", "corrupted"],
  ["hands out a live block twice", handsOutLiveTwice, "no-double-hand-out", "double-hand-out"],
  ["accepts NaN", acceptsNaN, "too-large", "accepted-bad-size"],
  ["loses contents on realloc", losesContentsOnRealloc, "realloc", "realloc-lost-contents"],
];

describe("planted bugs are caught by the right check", () => {
  it.each(planted)("an allocator that %s fails %s", async (_, adapter, check, kind) => {
    const report = await checkAlloc(adapter, { ...fast, only: [check] });
    const result = resultOf(report, check);
    expect(result?.status, formatReport(report)).toBe("fail");
    expect(result?.failure?.kind).toBe(kind);
    expect(result?.failure?.seed).toBe(7);
    expect(report.passed).toBe(false);
  });

  it("reports a short, shrunk reproduction", async () => {
    const report = await checkAlloc(overlapping, { ...fast, only: ["corruption", "no-overlap"] });
    for (const check of ["corruption", "no-overlap"] as const) {
      const ops = resultOf(report, check)?.failure?.ops ?? [];
      expect(ops.length).toBeGreaterThan(0);
      expect(ops.length).toBeLessThanOrEqual(4);
      expect(ops.at(-1)).toMatch(/^alloc\(\d+,\d+\)->p\d+$/);
      expect(resultOf(report, check)?.detail).toMatch(/overlaps p\d+/);
    }
  });

  it("names NaN among the accepted bad sizes", async () => {
    const report = await checkAlloc(acceptsNaN, { ...fast, only: ["too-large"] });
    const accepted = resultOf(report, "too-large")?.failure?.ops ?? [];
    expect(accepted[0]).toMatch(/^alloc\(NaN,1\)->\d+$/);
    expect(accepted.some((op) => op.startsWith("realloc(p0,NaN)"))).toBe(false);
  });
});
