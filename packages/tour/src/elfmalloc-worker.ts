import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "@allocators/elfmalloc";

const {
  heap: descriptor,
  id,
  messages,
} = workerData as { heap: ElfMallocDescriptor; id: number; messages: number };
const heap = ElfMalloc.attach(descriptor);
const encoder = new TextEncoder();
for (let i = messages - 1; i >= 0; i--) {
  const bytes = encoder.encode(`hello from worker ${id}, message #${i}`);
  const ptr = heap.malloc(bytes.length);
  heap.u8.set(bytes, ptr);
  parentPort!.postMessage([ptr, bytes.length]);
}
heap.detach();
