import { MemoryViews } from "@allocators/object-alloc";
import { runWorker } from "@allocators/test-kit";
import { expect, it } from "vitest";
import { driverMemory, HEAP_START, PAGES } from "./helpers/driver.js";
import { LockedBump } from "./helpers/locked-bump.js";

it("runs the C driver from 2 workers at once over one shared WebAssembly.Memory and one thread-safe malloc", async () => {
  const memory = driverMemory();
  const bump = LockedBump.create(new MemoryViews(memory), HEAP_START, PAGES * 65536);
  const start = new SharedArrayBuffer(4);
  const results = await Promise.all(
    [1, 2].map((seed) =>
      runWorker<{ failedLine: number; errnoLocation: number }>(
        new URL("./workers/driver-worker.ts", import.meta.url),
        { memory, allocBase: bump.base, start, threads: 2, seed, rounds: 4 },
      ),
    ),
  );
  expect(results.map((r) => r.failedLine)).toEqual([0, 0]);
  // Each thread has its own errno word, as C's errno is thread-local.
  expect(results[0].errnoLocation).not.toBe(results[1].errnoLocation);
  expect(Atomics.load(new Int32Array(start), 0)).toBe(2);
});
