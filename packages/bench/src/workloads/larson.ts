/**
 * larson (after Larson & Krishnan's server simulation): each worker owns an array of `chunks` blocks of
 * 16-1000 B and repeatedly frees a random victim and allocates a new block in its place, writing its first
 * byte. Between repetitions the arrays rotate to the next worker (the original's "a new thread inherits the
 * array"), so blocks allocated by one worker are freed by another. Private heaps cannot do that: their
 * arrays stay with their worker.
 *
 * @module
 */
import { THING, THING_LOCKED } from "../adapters/contenders.js";
import { workerWorkload } from "../cases.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { Rng } from "../rng.js";
import { WORKER_COUNTS } from "./scaling.js";

export const larsonKernel: Kernel = ({ heap, index, workers, shared, params }) => {
  const chunks = num(params, "chunks");
  const ptrs = new Int32Array(params.ptrs as SharedArrayBuffer);
  const sizes = new Int32Array(params.sizes as SharedArrayBuffer);
  const rng = new Rng(4141 + index);
  let round = 0;
  let base = index * chunks;
  let peak = 0;
  /** The live bytes of the array this worker holds now (the arrays partition all live blocks). */
  const liveOfArray = () => {
    let sum = 0;
    for (let i = base; i < base + chunks; i++) sum += sizes[i];
    return sum;
  };
  const place = (at: number) => {
    const size = rng.between(16, 1000);
    const ptr = heap.malloc(size);
    if (ptr === 0) outOfMemory(size);
    heap.poke(ptr, size, size & 255);
    ptrs[at] = ptr;
    sizes[at] = size;
  };
  for (let i = 0; i < chunks; i++) place(index * chunks + i);
  return {
    run(iterations) {
      // Shared heaps take over the next worker's array: its blocks were allocated by another worker.
      base = (shared ? (index + ++round) % workers : index) * chunks;
      for (let i = 0; i < iterations; i++) {
        const at = base + rng.below(chunks);
        heap.free(ptrs[at], sizes[at]);
        place(at);
      }
      peak = Math.max(peak, liveOfArray());
      return iterations;
    },
    peakLiveBytes: () => peak,
  };
};

export const larson = WORKER_COUNTS.map((workers) =>
  workerWorkload({
    name: `larson-w${workers}`,
    description: `larson on ${workers} worker(s): 1000 blocks of 16-1000 B each, random replace, arrays rotate`,
    kernel: "larson",
    params: { chunks: 1000 },
    prepare: (n) => ({
      ptrs: new SharedArrayBuffer(4 * n * 1000),
      sizes: new SharedArrayBuffer(4 * n * 1000),
    }),
    heapBytes: 1 << 23,
    family: "larson",
    workers,
    crossThread: true,
    iterations: { quick: 100_000, full: 1_000_000 },
    unit: "free+malloc pairs",
    scale: { [THING]: 0.02, [THING_LOCKED]: 0.02 / workers },
  }),
);
