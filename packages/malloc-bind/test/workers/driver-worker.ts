import { parentPort, workerData } from "node:worker_threads";
import { MemoryViews } from "@allocators/object-alloc";
import { bindMalloc } from "../../src/index.js";
import { runDriver } from "../helpers/driver.js";
import { LockedBump } from "../helpers/locked-bump.js";

/**
 * One thread of the C driver: attaches to the shared allocator (only a thread-safe `Alloc` attachable from a
 * descriptor is needed: LockedBump here, elfmalloc when it lands), binds its own malloc (own errno), waits
 * until every thread is ready so they really run at once, then runs the driver and reports.
 */
const { memory, allocBase, start, threads, seed, rounds } = workerData as {
  memory: WebAssembly.Memory;
  allocBase: number;
  start: SharedArrayBuffer;
  threads: number;
  seed: number;
  rounds: number;
};
const api = bindMalloc(LockedBump.attach(new MemoryViews(memory), allocBase));
const errnoLocation = api.errnoLocation();
const ready = new Int32Array(start);
Atomics.add(ready, 0, 1);
while (Atomics.load(ready, 0) < threads);
const failedLine = runDriver(api, memory, seed, rounds);
parentPort!.postMessage({ failedLine, errnoLocation });
