import { startWorker } from "@allocators/test-kit";
import { expect, it } from "vitest";
import { checkAlloc, checkUntypedObjectAlloc, formatReport, resultOf } from "../src/index.js";
import { checkModule, nodeWorkerHost } from "../src/node.js";
import stateOutsideBuffer from "./fixtures/broken.js";
import classAlloc from "./fixtures/class-alloc.js";
import classUntyped from "./fixtures/class-untyped.js";

const host = nodeWorkerHost(startWorker);

it("runs a thread-safe allocator from 3 workers with cross-worker frees", async () => {
  const url = new URL("./fixtures/class-alloc.ts", import.meta.url);
  const report = await checkAlloc(classAlloc, {
    seed: 3,
    only: ["workers"],
    workers: { count: 3, host, url, ops: 4000 },
  });
  const result = resultOf(report, "workers");
  expect(result?.status, formatReport(report)).toBe("pass");
  expect(result?.detail).toMatch(
    /^3 workers x 4000 ops on one heap, [1-9]\d* blocks freed by another worker$/,
  );
});

it("catches an allocator whose state is private to each worker", async () => {
  const url = new URL("./fixtures/broken.ts", import.meta.url);
  const report = await checkAlloc(stateOutsideBuffer, {
    seed: 3,
    only: ["workers"],
    workers: { count: 2, host, url, ops: 2000 },
  });
  const result = resultOf(report, "workers");
  expect(result?.status, formatReport(report)).toBe("fail");
  // Both workers bump from the same start, so whichever check of a block runs first after the collision finds
  // it: a live object handed out again, a block broken under it (also seen as contents a realloc lost), or,
  // when the two bump pointers race past each other, a block reaching outside the heap.
  expect([
    "double-hand-out",
    "corrupted",
    "overlap",
    "misaligned",
    "out-of-bounds",
    "realloc-lost-contents",
  ]).toContain(result?.failure?.kind);
  expect(result?.failure?.message).toMatch(/^worker \d: /);
});

it("skips the workers check, with the reason, for an allocator that cannot be shared", async () => {
  const [report] = await checkModule(new URL("../examples/adapters/arena.ts", import.meta.url), {
    seed: 1,
    only: ["workers"],
    start: startWorker,
  });
  expect(resultOf(report, "workers")).toEqual({
    check: "workers",
    status: "skip",
    detail: "not thread-safe: the adapter has no share()/attach()",
  });
});

it("runs a shareable untyped object allocator from workers, asking only its layout", async () => {
  const url = new URL("./fixtures/class-untyped.ts", import.meta.url);
  const report = await checkUntypedObjectAlloc(classUntyped, {
    seed: 4,
    ops: 2000,
    propertyRuns: 20,
    workers: { count: 2, host, url },
  });
  expect(
    report.results.filter((r) => r.status === "fail"),
    formatReport(report),
  ).toEqual([]);
  expect(resultOf(report, "workers")?.detail).toMatch(/^2 workers x 2000 ops on one heap/);
  expect(report.allocator).toBe(
    "ClassAlloc of 48 B blocks (test fixture, thread-safe) (Layout(size 48, align 16))",
  );
});
