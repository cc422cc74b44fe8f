/**
 * threadtest (after the Hoard benchmark's description): each worker repeatedly allocates `objects` blocks of
 * 64 B, touches them, then frees them all, in allocation order. Purely thread-local: a test of per-thread
 * throughput and of scaling. Weak scaling: every worker does the same work, so ideal throughput grows with
 * the worker count up to the core count.
 *
 * @module
 */
import { SHARED_ELFMALLOC, THING } from "../adapters/contenders.js";
import { localWorkload, workerWorkload } from "../cases.js";
import { atLeastEarlier } from "../harness.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { WORKER_COUNTS } from "./scaling.js";

export const threadtestKernel: Kernel = ({ heap, params }) => {
  const objects = num(params, "objects");
  const size = num(params, "size");
  const ptrs = new Int32Array(objects);
  return {
    run(iterations) {
      const rounds = Math.max(1, Math.round(iterations / (2 * objects)));
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < objects; i++) {
          const ptr = heap.malloc(size);
          if (ptr === 0) outOfMemory(size);
          heap.poke(ptr, size, i);
          ptrs[i] = ptr;
        }
        for (let i = 0; i < objects; i++) heap.free(ptrs[i], size);
      }
      return rounds * 2 * objects;
    },
    peakLiveBytes: () => objects * size,
  };
};

const spec = {
  kernel: "threadtest",
  params: { objects: 1000, size: 64 },
  heapBytes: 1 << 22,
  scale: { [THING]: 0.02 },
};

/** One worker count of the family, plus the single-threaded run on the main thread (with native glibc). */
export const threadtest = [
  localWorkload({
    ...spec,
    name: "threadtest",
    description: "allocate 1000 blocks of 64 B, touch, free all in order; main thread",
    iterations: { quick: 200_000, full: 2_000_000 },
  }),
  ...WORKER_COUNTS.map((workers) =>
    workerWorkload({
      ...spec,
      name: `threadtest-w${workers}`,
      description: `threadtest on ${workers} worker(s), each allocating and freeing its own blocks`,
      family: "threadtest",
      workers,
      crossThread: false,
      iterations: { quick: 100_000, full: 1_000_000 },
      targets:
        workers === 2
          ? [
              atLeastEarlier(
                SHARED_ELFMALLOC,
                1.7,
                "threadtest-w1",
                SHARED_ELFMALLOC,
                "issue #7: 2 workers vs 1",
              ),
            ]
          : [],
    }),
  ),
];
