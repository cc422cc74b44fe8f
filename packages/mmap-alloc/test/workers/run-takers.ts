/**
 * A worker that takes a run from a run cache and parks it again, `rounds` times, counting how often it held a
 * run that another worker held too. workerData: { descriptor, slots, runBytes, holders, rounds }. Posts
 * { taken, shared }.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AddressSpace, type AddressSpaceDescriptor, RunCache } from "../../src/index.js";

interface Data {
  descriptor: AddressSpaceDescriptor;
  /** The i32 index of the cache's slots, and the cache's slot count. */
  at: number;
  slots: number;
  runBytes: number;
  /** Per run, the workers holding it now: one word per page of the space. */
  holders: Int32Array;
  rounds: number;
}

const { descriptor, at, slots, runBytes, holders, rounds } = workerData as Data;
const space = AddressSpace.attach(descriptor);
const cache = new RunCache(slots);
let taken = 0;
let shared = 0;
for (let round = 0; round < rounds; round++) {
  const run = cache.take(space.i32, at, runBytes);
  if (run <= 0) continue;
  taken++;
  const page = run / space.pageSize;
  if (Atomics.add(holders, page, 1) !== 0) shared++;
  Atomics.sub(holders, page, 1);
  if (cache.offer(space.i32, at, run, runBytes) !== 0) shared++; // a slot of its own was emptied: never full
}
parentPort!.postMessage({ taken, shared });
