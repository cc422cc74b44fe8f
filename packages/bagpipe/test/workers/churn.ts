import { parentPort, workerData } from "node:worker_threads";
import { type Descriptor, EMPTY } from "../../src/index.js";
import { attach, itemOf, type Kind } from "./structures.js";

/**
 * Pushes items itemOf(first + i) and pops in between, until `stop` is set or the worker is terminated.
 * progress[PUSHED] = how many pushes completed; every popped item is logged, then progress[LOGGED] counts it,
 * so a terminated worker can have at most one push and one pop whose outcome is unrecorded.
 */
interface Job {
  kind: Kind;
  descriptor: Descriptor;
  first: number;
  progress: SharedArrayBuffer; // [pushed, logged, stop, started]
  log: SharedArrayBuffer;
}

const PUSHED = 0;
const LOGGED = 1;
const STOP = 2;
const STARTED = 3;

const job = workerData as Job;
const channel = attach(job.kind, job.descriptor);
const progress = new Int32Array(job.progress);
const log = new Uint32Array(job.log);
let pushed = 0;
let logged = 0;
const popOne = () => {
  const item = channel.tryPop();
  if (item === EMPTY) return;
  log[logged] = item;
  Atomics.store(progress, LOGGED, ++logged);
};
Atomics.store(progress, STARTED, 1);
// Stops by itself before its log is full: every pop must be logged for the accounting.
while (Atomics.load(progress, STOP) === 0 && logged < log.length) {
  if (channel.tryPush(itemOf(job.first + pushed))) {
    Atomics.store(progress, PUSHED, ++pushed);
    if (pushed % 2 === 0) popOne();
  } else {
    popOne();
  }
}
parentPort!.postMessage("stopped");
