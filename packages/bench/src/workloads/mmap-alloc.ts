import { isMainThread, parentPort, type Worker, workerData } from "node:worker_threads";
import { AddressSpace, type AddressSpaceDescriptor } from "@allocators/mmap-alloc";
import { startWorker } from "@allocators/test-kit";
import { atLeastRate, type BenchCase, type Workload } from "../harness.js";

const PAGE = 4096;

/**
 * `pairs` map+unmap pairs of `pages` pages, or, when `spread` > 0, of 1 to `spread` pages drawn at random.
 * Returns the pairs done.
 */
function mapUnmapPairs(space: AddressSpace, pairs: number, pages: number, spread = 0): number {
  let seed = 12345;
  for (let i = 0; i < pairs; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const bytes = spread === 0 ? pages * PAGE : (1 + ((seed >>> 8) % spread)) * PAGE;
    const ptr = space.map(bytes);
    space.unmap(ptr, bytes);
  }
  return pairs;
}

interface Job {
  pairs: number;
  pages: number;
  spread: number;
}

type BackingKind = "shared" | "local" | "wasm";

// This file is also the bench's worker module: started with `kind: "mmap-alloc-bench"`, it attaches to the
// space of `descriptor` (or creates one of `backing`), runs pairs on demand and answers each job with a message.
const data = workerData as {
  kind?: string;
  descriptor?: AddressSpaceDescriptor;
  backing?: BackingKind;
} | null;
if (!isMainThread && data?.kind === "mmap-alloc-bench") {
  const space = data.descriptor ? AddressSpace.attach(data.descriptor) : newSpace(data.backing);
  parentPort!.on("message", (job: Job) =>
    parentPort!.postMessage(mapUnmapPairs(space, job.pairs, job.pages, job.spread)),
  );
}

function newSpace(backing: BackingKind = "shared"): AddressSpace {
  return AddressSpace.create({ maxBytes: 256 << 20, backing });
}

function onOneWorker(name: string, space: AddressSpace, pages: number, spread = 0): BenchCase {
  return { name, run: (pairs) => mapUnmapPairs(space, pairs, pages, spread) };
}

/**
 * Single-page pairs on a space of `backing` made in a worker thread of its own: its JIT code sees only that
 * backing's typed arrays, and the main thread's code never sees them.
 */
function inOwnThread(name: string, backing: BackingKind): BenchCase {
  let worker: Worker | undefined;
  return {
    name,
    run(pairs) {
      worker ??= startWorker(new URL(import.meta.url), { workerData: { kind: "mmap-alloc-bench", backing } });
      const thread = worker;
      return new Promise<number>((resolve) => {
        thread.once("message", resolve);
        thread.postMessage({ pairs, pages: 1, spread: 0 } satisfies Job);
      });
    },
    async teardown() {
      await worker?.terminate();
    },
  };
}

/** Both workers do `pairs` pairs at once on one space; ops counts the pairs of both. */
function onTwoWorkers(name: string, space: AddressSpace, pages: number, spread = 0): BenchCase {
  let workers: Worker[] | undefined;
  const job = (worker: Worker, pairs: number) =>
    new Promise<number>((resolve) => {
      worker.once("message", resolve);
      worker.postMessage({ pairs, pages, spread } satisfies Job);
    });
  return {
    name,
    async run(pairs) {
      workers ??= [0, 1].map(() =>
        startWorker(new URL(import.meta.url), {
          workerData: { kind: "mmap-alloc-bench", descriptor: space.share() },
        }),
      );
      const done = await Promise.all(workers.map((w) => job(w, pairs)));
      return done[0] + done[1];
    },
    async teardown() {
      await Promise.all((workers ?? []).map((w) => w.terminate()));
    },
  };
}

const ISSUE_3 = "issue #3: single-page map+unmap pairs on one worker";

/**
 * map+unmap pairs of 1 to 16 pages, on one and two workers, on the default shared backing; then single-page
 * pairs on each backing, each in a thread of its own: the page tree's code is fastest when it only ever sees
 * one kind of typed array (mixing backings in one thread makes V8's inline caches polymorphic).
 */
export const mmapPairs: Workload = {
  name: "mmap-pairs",
  description:
    "AddressSpace map+unmap pairs (pages zeroed: a single page by unmap, into the page cache; larger runs by map, through the page tree), 1 and 2 workers",
  baseline: "1 page, 1 worker",
  iterations: { quick: 50_000, full: 400_000 },
  targets: [
    atLeastRate("1 page, 1 worker", 5e6, "M pairs/s", ISSUE_3),
    atLeastRate("1 page, own thread, local", 5e6, "M pairs/s", ISSUE_3),
    atLeastRate("1 page, own thread, wasm", 5e6, "M pairs/s", ISSUE_3),
  ],
  cases() {
    return [
      onOneWorker("1 page, 1 worker", newSpace(), 1),
      onOneWorker("2 pages, 1 worker", newSpace(), 2),
      onOneWorker("1-16 pages, 1 worker", newSpace(), 0, 16),
      onTwoWorkers("1 page, 2 workers", newSpace(), 1),
      onTwoWorkers("1-16 pages, 2 workers", newSpace(), 0, 16),
      inOwnThread("1 page, own thread, shared", "shared"),
      inOwnThread("1 page, own thread, local", "local"),
      inOwnThread("1 page, own thread, wasm", "wasm"),
    ];
  },
};

/**
 * `live` live single-page runs with a 2-page hole after every hundredth one: a 2-page map+unmap (through the
 * page tree) then reuses the first hole. The tree costs O(log pages) whatever the number of runs.
 */
function withLiveRuns(name: string, live: number): BenchCase {
  const space = AddressSpace.create({ maxBytes: 1 << 30 });
  const holes: number[] = [];
  for (let i = 0; i < live; i++) {
    space.map(PAGE);
    if (i % 100 === 99) holes.push(space.map(2 * PAGE));
  }
  for (const hole of holes) space.unmap(hole, 2 * PAGE);
  return onOneWorker(name, space, 2);
}

export const mmapLiveRuns: Workload = {
  name: "mmap-live-runs",
  description:
    "2-page map+unmap pairs with 1k vs 100k live runs in a 1 GiB space (fragmented: 1 hole per 100 runs)",
  baseline: "1k live runs",
  iterations: { quick: 50_000, full: 400_000 },
  cases() {
    return [withLiveRuns("1k live runs", 1000), withLiveRuns("100k live runs", 100_000)];
  },
};
