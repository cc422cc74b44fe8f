/**
 * Producer-consumer (after xmalloc-test's description): half the workers allocate 64-B blocks and fill them,
 * the other half receive them and free them, through one ringbuf.js SPSC ring per pair. With a shared heap the
 * ring carries pointers and the consumer frees blocks another worker allocated (the remote-free path); with
 * private heaps the block's bytes are copied through the ring into a block of the consumer's own heap (what a
 * user of a single-threaded allocator would do), and each side frees its own blocks.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { RingBuffer } from "ringbuf.js";
import { SHARED_ELFMALLOC, THING, THING_LOCKED } from "../adapters/contenders.js";
import { workerWorkload } from "../cases.js";
import { atLeastEarlier } from "../harness.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";

const BATCH = 32;
const PTR_RING = 4096;
const BYTE_RING = 1 << 16;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const cores = availableParallelism();

/**
 * Polls of a full or empty ring before sleeping. A sleep (20 µs asked, 50-100 µs taken) is about as long as
 * the ring takes to fill or drain, so sleeping early made both sides of a pair take turns sleeping: the runs
 * were bimodal (6 or 16 M blocks/s). So a pair spins while every worker has a core of its own, and sleeps
 * early only when workers share cores (then spinning would take the core of the side it waits for).
 */
function spinLimit(workers: number): number {
  return workers <= cores ? 1 << 20 : 64;
}

/** Sleeps 20 µs once `spins` polls in a row found the ring full or empty. */
function backoff(spins: number, limit: number): void {
  if (spins > limit) Atomics.wait(sleepCell, 0, 0, 0.02);
}

export const producerConsumerKernel: Kernel = ({ heap, index, workers, shared, params }) => {
  const size = num(params, "size");
  const limit = spinLimit(workers);
  const pair = index >> 1;
  const producer = (index & 1) === 0;
  const ptrRing = new RingBuffer((params.ptrRings as SharedArrayBuffer[])[pair], Uint32Array);
  const byteRing = new RingBuffer((params.byteRings as SharedArrayBuffer[])[pair], Uint8Array);
  const ptrs = new Uint32Array(BATCH);

  const producePointers = (n: number) => {
    for (let done = 0; done < n; ) {
      const count = Math.min(BATCH, n - done);
      for (let i = 0; i < count; i++) {
        const ptr = heap.malloc(size);
        if (ptr === 0) outOfMemory(size);
        heap.fill(ptr, size, ptr & 255);
        ptrs[i] = ptr;
      }
      for (let pushed = 0, spins = 0; pushed < count; spins++) {
        pushed += ptrRing.push(ptrs, count - pushed, pushed);
        backoff(spins, limit);
      }
      done += count;
    }
  };
  const consumePointers = (n: number) => {
    for (let done = 0, spins = 0; done < n; ) {
      const got = ptrRing.pop(ptrs, Math.min(BATCH, n - done));
      // Spins count empty polls in a row: once past the limit, every further empty poll would sleep.
      spins = got === 0 ? spins + 1 : 0;
      if (got === 0) backoff(spins, limit);
      for (let i = 0; i < got; i++) {
        if (heap.peek(ptrs[i]) !== (ptrs[i] & 255)) throw new Error(`block ${ptrs[i]} arrived corrupted`);
        heap.free(ptrs[i], size);
      }
      done += got;
    }
  };
  const produceCopies = (n: number) => {
    for (let done = 0; done < n; done++) {
      const ptr = heap.malloc(size);
      if (ptr === 0) outOfMemory(size);
      heap.fill(ptr, size, done & 255);
      const bytes = heap.view(ptr, size);
      for (let pushed = 0, spins = 0; pushed < size; spins++) {
        pushed += byteRing.push(bytes, size - pushed, pushed);
        backoff(spins, limit);
      }
      heap.free(ptr, size);
    }
  };
  const consumeCopies = (n: number) => {
    for (let done = 0; done < n; done++) {
      const ptr = heap.malloc(size);
      if (ptr === 0) outOfMemory(size);
      const bytes = heap.view(ptr, size);
      for (let popped = 0, spins = 0; popped < size; spins++) {
        popped += byteRing.pop(bytes, size - popped, popped);
        backoff(spins, limit);
      }
      if (bytes[0] !== (done & 255)) throw new Error(`copy ${done} arrived corrupted`);
      heap.free(ptr, size);
    }
  };
  return {
    run(iterations) {
      if (producer) (shared ? producePointers : produceCopies)(iterations);
      else (shared ? consumePointers : consumeCopies)(iterations);
      return producer ? iterations : 0;
    },
  };
};

export const producerConsumer = [...new Set([2, 2 * cores])].map((workers) =>
  workerWorkload({
    name: `producer-consumer-w${workers}`,
    description: `${workers / 2} producer/consumer pair(s) of workers passing 64-B blocks through ringbuf.js`,
    kernel: "producer-consumer",
    params: { size: 64 },
    prepare: (n) => ({
      ptrRings: Array.from({ length: n / 2 }, () => RingBuffer.getStorageForCapacity(PTR_RING, Uint32Array)),
      byteRings: Array.from({ length: n / 2 }, () => RingBuffer.getStorageForCapacity(BYTE_RING, Uint8Array)),
    }),
    heapBytes: 1 << 24,
    family: "producer-consumer",
    workers,
    crossThread: true,
    iterations: { quick: 50_000, full: 500_000 },
    unit: "blocks passed",
    // A block passed is one malloc and one free, two threadtest ops: half the thread-local rate is 0.25x its ops.
    targets:
      workers === 2
        ? [
            atLeastEarlier(
              SHARED_ELFMALLOC,
              0.25,
              "threadtest-w1",
              SHARED_ELFMALLOC,
              "issue #7: producer-consumer at least half the thread-local malloc+free pairs",
            ),
          ]
        : [],
    scale: { [THING]: 0.2, [THING_LOCKED]: 0.2 },
  }),
);
