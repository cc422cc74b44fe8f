/**
 * A worker that allocates a batch of small blocks and frees it, over and over, on a shared heap: with 16 KiB
 * slabs each batch empties and refills several slabs, which the other worker takes and frees into meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "../../src/index.js";

const { heap: descriptor, ms } = workerData as { heap: ElfMallocDescriptor; ms: number };
const heap = ElfMalloc.attach(descriptor);
const ptrs = new Int32Array(1000);
const end = performance.now() + ms;
let rounds = 0;
while (performance.now() < end) {
  for (let i = 0; i < ptrs.length; i++) ptrs[i] = heap.malloc(64);
  for (let i = 0; i < ptrs.length; i++) heap.free(ptrs[i]);
  rounds++;
}
heap.detach();
parentPort!.postMessage(rounds);
