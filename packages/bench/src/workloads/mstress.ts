/**
 * mstress-like (after the published description of Leijen's mstress): each step allocates a block of 2^k
 * words (k < 6), rarely ×100 (1 %) or ×1000 (0.1 %), and fills it with a byte that encodes its size; it then
 * either keeps it in a random local slot or (25 %) swaps it with a random slot of a transfer array by atomic
 * exchange, so that with a shared heap blocks migrate between workers. Whatever a step displaces is checked
 * byte by byte (a content check: corruption throws) and freed. Private heaps get a private transfer array.
 *
 * @module
 */
import { THING, THING_LOCKED } from "../adapters/contenders.js";
import { workerWorkload } from "../cases.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { Rng } from "../rng.js";
import { WORKER_COUNTS } from "./scaling.js";

const MULTIPLIERS = [1, 100, 1000];
const COOKIE = 0xa5;

/** The size a fill byte stands for: bits 0-2 hold k, bits 3-4 the multiplier, xored with a cookie. */
function sizeOfTag(tag: number): number {
  const bits = tag ^ COOKIE;
  return (8 << (bits & 7)) * MULTIPLIERS[(bits >> 3) & 3];
}

export const mstressKernel: Kernel = ({ heap, index, shared, params }) => {
  const slots = num(params, "slots");
  const transferSlots = num(params, "transferSlots");
  const transfer = new Int32Array(params.transfer as SharedArrayBuffer);
  const transferBase = shared ? 0 : index * transferSlots;
  const local = new Int32Array(slots);
  const rng = new Rng(77 + index);

  const release = (ptr: number): number => {
    if (ptr === 0) return 0;
    const tag = heap.peek(ptr);
    const size = sizeOfTag(tag);
    if (!heap.check(ptr, size, tag)) throw new Error(`mstress: block ${ptr} of ${size} B was corrupted`);
    heap.free(ptr, size);
    return 1;
  };
  const allocate = (): number => {
    const roll = rng.below(10_000);
    const m = roll < 10 ? 2 : roll < 110 ? 1 : 0;
    const tag = (rng.below(6) | (m << 3)) ^ COOKIE;
    const size = sizeOfTag(tag);
    const ptr = heap.malloc(size);
    if (ptr === 0) outOfMemory(size);
    heap.fill(ptr, size, tag);
    return ptr;
  };
  return {
    run(iterations) {
      let ops = 0;
      for (let i = 0; i < iterations; i++) {
        const ptr = allocate();
        ops++;
        if (rng.below(4) === 0) {
          const at = transferBase + rng.below(transferSlots);
          ops += release(shared ? Atomics.exchange(transfer, at, ptr) : transfer[at]);
          if (!shared) transfer[at] = ptr;
        } else {
          const at = rng.below(slots);
          ops += release(local[at]);
          local[at] = ptr;
        }
      }
      return ops;
    },
    teardown() {
      for (let at = 0; at < slots; at++) release(local[at]);
      if (!shared || index === 0) {
        const end = shared ? transferSlots : transferBase + transferSlots;
        for (let at = transferBase; at < end; at++) release(Atomics.exchange(transfer, at, 0));
      }
    },
  };
};

export const mstress = WORKER_COUNTS.map((workers) =>
  workerWorkload({
    name: `mstress-w${workers}`,
    description: `mstress-like on ${workers} worker(s): 8-256 B blocks, rare 25 KiB/256 KiB ones, content checked, 25 % migrate`,
    kernel: "mstress",
    params: { slots: 500, transferSlots: 1000 },
    prepare: (n) => ({ transfer: new SharedArrayBuffer(4 * 1000 * n) }),
    heapBytes: 1 << 26,
    family: "mstress",
    workers,
    crossThread: true,
    iterations: { quick: 50_000, full: 500_000 },
    scale: { [THING]: 0.05, [THING_LOCKED]: 0.05 / workers },
  }),
);
