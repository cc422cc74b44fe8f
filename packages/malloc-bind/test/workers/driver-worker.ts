import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "@allocators/elfmalloc";
import { bindMalloc } from "../../src/index.js";
import { runDriver } from "../helpers/driver.js";

/**
 * One thread of the C driver: attaches to the shared elfmalloc heap, binds its own malloc (own errno), waits
 * until every thread is ready so they really run at once, then runs the driver, gives back its errno word,
 * detaches (its caches go back to the heap) and reports.
 */
const {
  memory,
  heap: descriptor,
  start,
  threads,
  seed,
  rounds,
} = workerData as {
  memory: WebAssembly.Memory;
  heap: ElfMallocDescriptor;
  start: SharedArrayBuffer;
  threads: number;
  seed: number;
  rounds: number;
};
const heap = ElfMalloc.attach(descriptor);
const api = bindMalloc(heap);
const errnoLocation = api.errnoLocation();
const ready = new Int32Array(start);
Atomics.add(ready, 0, 1);
while (Atomics.load(ready, 0) < threads);
const failedLine = runDriver(api, memory, seed, rounds);
api.free(errnoLocation);
heap.detach();
parentPort!.postMessage({ failedLine, errnoLocation });
