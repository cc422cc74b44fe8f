/**
 * A worker that churns one shared heap: random malloc, free, realloc and hand-offs through a shared exchange
 * array, so that blocks allocated by one worker are freed by another. Every block carries its size and a
 * pattern derived from its address; every free and realloc verifies it first.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "../../src/index.js";
import { fillBlock, verifyBlock } from "../pattern.js";

interface Job {
  heap: ElfMallocDescriptor;
  exchange: SharedArrayBuffer;
  ops: number;
  seed: number;
  maxSize: number;
  /** Never stop by itself (the test terminates it). */
  forever?: boolean;
}

const job = workerData as Job;
const heap = ElfMalloc.attach(job.heap);
const exchange = new Int32Array(job.exchange);
let state = job.seed >>> 0 || 1;
const random = (n: number) => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};
const size = () => (random(16) === 0 ? 8 + random(job.maxSize) : 8 + random(512));

const mine: number[] = [];
let errors = 0;
let crossFrees = 0;
const check = (ptr: number) => {
  if (!verifyBlock(heap, ptr)) errors++;
};

for (let op = 0; job.forever || op < job.ops; op++) {
  if (job.forever && op === 2000) parentPort!.postMessage({ started: true });
  const choice = random(10);
  if (choice < 4 || mine.length === 0) {
    const ptr = heap.malloc(size());
    if (ptr !== 0) {
      fillBlock(heap, ptr, heap.usableSize(ptr) >= 8 ? Math.min(heap.usableSize(ptr), 8 + random(512)) : 8);
      mine.push(ptr);
    }
  } else if (choice < 7) {
    const ptr = mine.splice(random(mine.length), 1)[0];
    check(ptr);
    heap.free(ptr);
  } else if (choice < 8) {
    const k = random(mine.length);
    check(mine[k]);
    const newSize = 8 + random(job.maxSize);
    const moved = heap.realloc(mine[k], newSize);
    if (moved !== 0) {
      if (!verifyBlock(heap, moved, mine[k], newSize)) errors++;
      fillBlock(heap, moved, Math.min(heap.usableSize(moved), 8 + random(512)));
      mine[k] = moved;
    }
  } else {
    const ptr = mine.splice(random(mine.length), 1)[0];
    const got = Atomics.exchange(exchange, random(exchange.length), ptr);
    if (got !== 0) {
      check(got);
      heap.free(got);
      crossFrees++;
    }
  }
}
for (const ptr of mine) {
  check(ptr);
  heap.free(ptr);
}
const threadId = heap.threadId;
heap.detach();
parentPort!.postMessage({ errors, crossFrees, threadId });
