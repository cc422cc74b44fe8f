/**
 * shbench-style mixed sizes and lifetimes (after the published description of MicroQuill's sh6bench): each
 * round allocates a batch of blocks over a skewed range of sizes (most small, a few up to 4 KiB); half of the
 * batch is freed at once in reverse order (short-lived, LIFO), the other half joins a long-lived FIFO of
 * `keep` blocks whose oldest are freed as it overflows.
 *
 * @module
 */
import { ELFMALLOC, THING } from "../adapters/contenders.js";
import { localWorkload } from "../cases.js";
import { committedAtMost } from "../harness.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { Rng } from "../rng.js";

export const shbenchKernel: Kernel = ({ heap, index, params }) => {
  const batch = num(params, "batch");
  const keep = num(params, "keep");
  const rng = new Rng(1234 + index);
  const batchPtrs = new Int32Array(batch);
  const batchSizes = new Int32Array(batch);
  const fifoPtrs = new Int32Array(keep);
  const fifoSizes = new Int32Array(keep);
  let head = 0;
  let count = 0;
  let liveBytes = 0;
  let peak = 0;
  // Skewed sizes: the product of two uniform draws puts most blocks at the small end of 8 B … 4 KiB.
  const sizeOf = () => 8 + ((rng.below(4096) * rng.below(4096)) >>> 12);
  const round = () => {
    for (let i = 0; i < batch; i++) {
      const size = sizeOf();
      const ptr = heap.malloc(size);
      if (ptr === 0) outOfMemory(size);
      heap.poke(ptr, size, i);
      batchPtrs[i] = ptr;
      batchSizes[i] = size;
      liveBytes += size;
    }
    if (liveBytes > peak) peak = liveBytes;
    let ops = batch;
    for (let i = batch - 1; i >= 0; i -= 2) {
      heap.free(batchPtrs[i], batchSizes[i]);
      liveBytes -= batchSizes[i];
      ops++;
    }
    for (let i = 0; i < batch; i += 2) {
      if (count === keep) {
        heap.free(fifoPtrs[head], fifoSizes[head]);
        liveBytes -= fifoSizes[head];
        head = (head + 1) % keep;
        count--;
        ops++;
      }
      const tail = (head + count) % keep;
      fifoPtrs[tail] = batchPtrs[i];
      fifoSizes[tail] = batchSizes[i];
      count++;
    }
    return ops;
  };
  return {
    run(iterations) {
      let ops = 0;
      while (ops < iterations) ops += round();
      return ops;
    },
    peakLiveBytes: () => peak,
  };
};

export const shbench = localWorkload({
  name: "shbench",
  description:
    "mixed sizes 8 B-4 KiB (skewed small) and lifetimes: half LIFO at once, half through a 4k FIFO",
  kernel: "shbench",
  params: { batch: 100, keep: 4096 },
  heapBytes: 1 << 25,
  iterations: { quick: 200_000, full: 2_000_000 },
  scale: { [THING]: 0.01 },
  targets: [committedAtMost(ELFMALLOC, 1.3, "issue #7: peak committed at most 1.3x peak live on shbench")],
});
