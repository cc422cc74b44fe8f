/**
 * Steady-state random replace (alloc-test style): hold `live` blocks of 8-256 B, then repeatedly free a random
 * one and allocate a new block of random size in its place. One operation is one free plus one malloc. The
 * 10k workload also times single operations for the latency table.
 *
 * @module
 */
import { ELFMALLOC, THING, TLSF } from "../adapters/contenders.js";
import { localWorkload } from "../cases.js";
import { atLeast, type Workload } from "../harness.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { Rng } from "../rng.js";

const LATENCY_BATCH = 16;

export const randomReplaceKernel: Kernel = ({ heap, index, params }) => {
  const live = num(params, "live");
  const minSize = num(params, "minSize");
  const maxSize = num(params, "maxSize");
  const rng = new Rng(4141 + index);
  const ptrs = new Int32Array(live);
  const sizes = new Int32Array(live);
  let liveBytes = 0;
  let peak = 0;
  const place = (slot: number) => {
    const size = rng.between(minSize, maxSize);
    const ptr = heap.malloc(size);
    if (ptr === 0) outOfMemory(size);
    heap.poke(ptr, size, slot & 255);
    ptrs[slot] = ptr;
    sizes[slot] = size;
    liveBytes += size;
    if (liveBytes > peak) peak = liveBytes;
  };
  const replace = () => {
    const slot = rng.below(live);
    heap.free(ptrs[slot], sizes[slot]);
    liveBytes -= sizes[slot];
    place(slot);
  };
  for (let slot = 0; slot < live; slot++) place(slot);
  return {
    run(iterations) {
      for (let i = 0; i < iterations; i++) replace();
      return iterations;
    },
    peakLiveBytes: () => peak,
    latency(batches) {
      const out: number[] = [];
      for (let b = 0; b < batches; b++) {
        const start = performance.now();
        for (let i = 0; i < LATENCY_BATCH; i++) replace();
        out.push(((performance.now() - start) * 1e6) / LATENCY_BATCH);
      }
      return out;
    },
  };
};

function randomReplace(live: number, label: string, thingScale: number, heapBytes: number): Workload {
  return localWorkload({
    name: `random-replace-${label}`,
    description: `steady state: ${label} live blocks of 8-256 B, free a random one and allocate a new one`,
    kernel: "random-replace",
    params: { live, minSize: 8, maxSize: 256 },
    heapBytes,
    iterations: { quick: 100_000, full: 1_000_000 },
    unit: "free+malloc pairs",
    scale: { [THING]: thingScale },
    latency: live === 10_000,
    targets: [
      atLeast(ELFMALLOC, 1.5, TLSF, "issue: single-threaded steady state at least 1.5x the wasm TLSF"),
    ],
  });
}

export const randomReplace1k = randomReplace(1_000, "1k", 0.05, 1 << 22);
export const randomReplace10k = randomReplace(10_000, "10k", 0.005, 1 << 24);
export const randomReplace100k = randomReplace(100_000, "100k", 0.0005, 1 << 26);
