import { ElfMalloc } from "@allocators/elfmalloc";
import { runWorker } from "@allocators/test-kit";
import { expect, it } from "vitest";
import { driverMemory, HEAP_START, PAGES } from "./helpers/driver.js";

it("runs the C driver from 2 workers at once with elfmalloc as malloc over one shared WebAssembly.Memory", async () => {
  const memory = driverMemory();
  // The heap starts above the module's data and stack, in the memory the module imports.
  const heap = ElfMalloc.create({ maxBytes: PAGES * 65536 - HEAP_START, backing: memory, base: HEAP_START });
  const before = heap.stats().liveBytes;
  const start = new SharedArrayBuffer(4);
  const results = await Promise.all(
    [1, 2].map((seed) =>
      runWorker<{ failedLine: number; errnoLocation: number }>(
        new URL("./workers/driver-worker.ts", import.meta.url),
        { memory, heap: heap.shareThread(), start, threads: 2, seed, rounds: 4 },
      ),
    ),
  );
  expect(results.map((r) => r.failedLine)).toEqual([0, 0]);
  // Each thread has its own errno word, as C's errno is thread-local.
  expect(results[0].errnoLocation).not.toBe(results[1].errnoLocation);
  expect(Atomics.load(new Int32Array(start), 0)).toBe(2);
  // Every block the drivers freed is back: the heap is consistent and holds no more live bytes than before
  // (each worker freed its stack and errno word, then detached, returning its caches).
  expect(heap.check()).toEqual([]);
  expect(heap.stats()).toMatchObject({ liveBytes: before, threads: 1 });
});
