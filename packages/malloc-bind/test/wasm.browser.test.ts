import { ElfMalloc } from "@allocators/elfmalloc";
import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import { runWebWorker } from "@allocators/test-kit/browser";
import { describe, expect, it } from "vitest";
import { bindMalloc } from "../src/index.js";
import { compileDriver, driverMemory, HEAP_START, PAGES, runCompiledDriver } from "./helpers/web-driver.js";

// Runs in headless Chromium (the browser project), on a page served with COOP/COEP.

describe("the committed C driver (c/driver.wasm) in the browser", () => {
  it("passes every check on the page's main thread, over a shared WebAssembly.Memory", async () => {
    const module = await compileDriver();
    const memory = driverMemory();
    const traced = new TracingAlloc(new ArenaAlloc(new MemoryViews(memory), HEAP_START, PAGES * 65536));
    const api = bindMalloc(traced);
    expect(runCompiledDriver(module, api, memory, 42, 3)).toBe(0);
    expect(traced.stats().allocs).toBeGreaterThan(1000);
    expect(traced.stats().liveBlocks).toBe(1); // the errno word
  });

  it("passes every check from 2 Web Workers at once with elfmalloc as malloc over one shared memory", async () => {
    const module = await compileDriver();
    const memory = driverMemory();
    // The heap starts above the module's data and stack, in the memory the module imports.
    const heap = ElfMalloc.create({
      maxBytes: PAGES * 65536 - HEAP_START,
      backing: memory,
      base: HEAP_START,
    });
    const before = heap.stats().liveBytes;
    const start = new SharedArrayBuffer(4);
    const results = await Promise.all(
      [1, 2].map((seed) =>
        runWebWorker<{ failedLine: number; errnoLocation: number }>(
          new URL("./workers/driver-web-worker.ts", import.meta.url),
          { module, memory, heap: heap.shareThread(), start, threads: 2, seed, rounds: 3 },
        ),
      ),
    );
    expect(results.map((r) => r.failedLine)).toEqual([0, 0]);
    expect(results[0].errnoLocation).not.toBe(results[1].errnoLocation);
    expect(Atomics.load(new Int32Array(start), 0)).toBe(2);
    // Every block the drivers freed is back: the heap is consistent and holds no more live bytes than before
    // (each worker freed its stack and errno word, then detached, returning its caches).
    expect(heap.check()).toEqual([]);
    expect(heap.stats()).toMatchObject({ liveBytes: before, threads: 1 });
  });
});
