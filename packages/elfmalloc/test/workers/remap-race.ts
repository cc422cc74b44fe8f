/**
 * One side of a race on the page map: a worker that either reallocates one large block up and down (so the
 * address space frees its old pages or its tail) or maps and frees blocks of a granule or more, checking that
 * every block it gets is known to the heap at once. Reports how many were not.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "../../src/index.js";

interface Job {
  heap: ElfMallocDescriptor;
  role: "remap" | "map";
  ms: number;
}

const job = workerData as Job;
const heap = ElfMalloc.attach(job.heap);
const end = Date.now() + job.ms;
let unknown = 0;
let rounds = 0;
/** Frees a block, counting it when the heap no longer knows it. */
function release(ptr: number): void {
  try {
    heap.free(ptr);
  } catch {
    unknown++;
  }
}
if (job.role === "remap") {
  let ptr = heap.malloc(200_000);
  while (Date.now() < end) {
    for (let k = 0; k < 64; k++, rounds++) ptr = heap.realloc(ptr, 140_000 + ((rounds * 7919) % 9) * 150_000);
  }
  heap.free(ptr);
} else {
  const held: number[] = [];
  while (Date.now() < end) {
    for (let k = 0; k < 64; k++, rounds++) {
      held.push(heap.malloc(70_000 + ((rounds * 7919) % 13) * 80_000));
      if (held.length > 64) release(held.splice((rounds * 31) % held.length, 1)[0]);
    }
  }
  for (const ptr of held) release(ptr);
}
heap.detach();
parentPort!.postMessage({ unknown, rounds });
