import { runWebWorker } from "@allocators/test-kit/browser";
import { expect, it } from "vitest";
import { ElfMalloc } from "../src/index.js";
import { fillBlock, verifyBlock } from "./pattern.js";

// Runs in headless Chromium (the browser project), on a page served with COOP/COEP.

it("is shared by 4 Web Workers and the page's main thread, which allocates too without blocking", async () => {
  const heap = ElfMalloc.create({ maxBytes: 256 << 20 });
  const exchange = new Int32Array(new SharedArrayBuffer(4 * 64));
  const workers = Array.from({ length: 4 }, (_, k) =>
    runWebWorker<{ errors: number; crossFrees: number }>(new URL("./workers/web-churn.ts", import.meta.url), {
      heap: heap.shareThread(),
      exchange: exchange.buffer,
      ops: 20_000,
      seed: k + 1,
    }),
  );
  // Meanwhile the page allocates and frees between its awaits: elfmalloc never calls Atomics.wait here.
  const kept: number[] = [];
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 40; i++) {
      const ptr = heap.malloc(16 + ((round * 40 + i) % 700));
      expect(ptr).not.toBe(0);
      fillBlock(heap, ptr, Math.min(heap.usableSize(ptr), 64));
      kept.push(ptr);
    }
    for (let i = 0; i < 30; i++) {
      const ptr = kept.shift()!;
      expect(verifyBlock(heap, ptr)).toBe(true);
      heap.free(ptr);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const results = await Promise.all(workers);
  expect(results.map((r) => r.errors)).toEqual([0, 0, 0, 0]);
  expect(results.reduce((n, r) => n + r.crossFrees, 0)).toBeGreaterThan(100);
  for (const ptr of kept) {
    expect(verifyBlock(heap, ptr)).toBe(true);
    heap.free(ptr);
  }
  for (let i = 0; i < exchange.length; i++) {
    const ptr = Atomics.exchange(exchange, i, 0) >>> 0;
    if (ptr !== 0) heap.free(ptr);
  }
  expect(heap.check()).toEqual([]);
  expect(heap.stats().liveBytes).toBe(0);
  expect(heap.stats().threads).toBe(1); // the page: every worker detached
});
