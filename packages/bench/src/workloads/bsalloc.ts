/**
 * bsalloc: alloc/free pairs per second, per size class, on 1 and 2 workers sharing one allocator.
 *
 * This file is also the workers' module: started with `workerData.bsallocBench`, it attaches the allocator and
 * answers each `{ pairs, size }` message with the pairs it did.
 */
import { isMainThread, parentPort, type Worker, workerData } from "node:worker_threads";
import { BsAlloc, type BsAllocDescriptor } from "@allocators/bsalloc";
import { AddressSpace } from "@allocators/mmap-alloc";
import { startWorker } from "@allocators/test-kit";
import type { BenchCase, Workload } from "../harness.js";

/** Blocks each worker holds at once: allocations and frees alternate in batches of this many. */
const BATCH = 8;
const SIZES = [64, 256, 1024, 4096, 16384, 65536];

function churn(bs: BsAlloc, pairs: number, size: number, held: number[]): number {
  for (let done = 0; done < pairs; done += BATCH) {
    for (let i = 0; i < BATCH; i++) {
      held[i] = bs.alloc(size, 8);
      bs.memory.u8[held[i]] = i;
    }
    for (let i = 0; i < BATCH; i++) bs.dealloc(held[i]);
  }
  return Math.ceil(pairs / BATCH) * BATCH;
}

if (!isMainThread && (workerData as { bsallocBench?: BsAllocDescriptor })?.bsallocBench) {
  const bs = BsAlloc.attach((workerData as { bsallocBench: BsAllocDescriptor }).bsallocBench);
  const held: number[] = [];
  parentPort?.on("message", ({ pairs, size }: { pairs: number; size: number }) => {
    parentPort?.postMessage(churn(bs, pairs, size, held));
  });
}

/** Two workers attached to one fresh allocator. */
function startWorkers(): Worker[] {
  const bs = BsAlloc.create(AddressSpace.create({ maxBytes: 256 << 20, backing: "shared" }));
  return [0, 1].map(() =>
    startWorker(new URL(import.meta.url), { workerData: { bsallocBench: bs.share() } }),
  );
}

function ask(worker: Worker, pairs: number, size: number): Promise<number> {
  return new Promise((resolve) => {
    worker.once("message", resolve);
    worker.postMessage({ pairs, size });
  });
}

function workerCase(workers: Worker[], count: number, size: number): BenchCase {
  return {
    name: `${count} worker${count > 1 ? "s" : ""}`,
    async run(pairs) {
      const done = await Promise.all(workers.slice(0, count).map((w) => ask(w, pairs, size)));
      return done.reduce((a, b) => a + b, 0);
    },
    async teardown() {
      // The last case stops the workers (the harness tears the cases down after the last repetition).
      if (count === workers.length) await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function sizeWorkload(size: number): Workload {
  const label = size >= 1024 ? `${size / 1024}k` : `${size}`;
  return {
    name: `bsalloc-${label}`,
    description: `bsalloc alloc/free pairs of ${label} B (${size > 16384 ? "large, mapped" : "size class"}), batches of ${BATCH}, one allocator shared by the workers`,
    baseline: "1 worker",
    iterations: { quick: 20_000, full: 200_000 },
    cases() {
      const workers = startWorkers();
      return [workerCase(workers, 1, size), workerCase(workers, 2, size)];
    },
  };
}

/** One workload per size class, and one for large (directly mapped) blocks. */
export const bsallocWorkloads: Workload[] = SIZES.map(sizeWorkload);
