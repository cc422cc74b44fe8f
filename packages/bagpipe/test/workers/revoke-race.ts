import { parentPort, workerData } from "node:worker_threads";
import { type Descriptor, EMPTY } from "../../src/index.js";
import { attach } from "./structures.js";

/**
 * Poppers pop until empty; revokers revoke every item, in push order or its reverse. Each counts what it took
 * in `outcome`. After its first success each side waits for the other side's first success, so that both
 * really race even when the machine runs one side long before the other.
 */
interface Job {
  kind: "queue" | "bagpipe";
  descriptor: Descriptor;
  role: "pop" | "revoke";
  worker: number;
  handles: number;
  count: number;
  outcome: SharedArrayBuffer;
  go: SharedArrayBuffer; // [go, first pops, first revokes]
}

const job = workerData as Job;
const structure = attach(job.kind, job.descriptor) as ReturnType<typeof attach> & {
  revoke(item: number, handle: number): boolean;
};
const outcome = new Int32Array(job.outcome);
const go = new Int32Array(job.go);
Atomics.wait(go, 0, 0);
let taken = 0;
const mine = job.role === "pop" ? 1 : 2;
function tookOne(): void {
  if (++taken > 1) return;
  Atomics.add(go, mine, 1);
  while (Atomics.load(go, 3 - mine) === 0) Atomics.wait(go, 3 - mine, 0, 1);
}
if (job.role === "pop") {
  for (let item = structure.tryPop(); item !== EMPTY; item = structure.tryPop()) {
    Atomics.add(outcome, 2 * (item / 4096 - 1), 1);
    tookOne();
  }
} else {
  // The two revokers walk in opposite directions so that they also race with each other.
  for (let k = 0; k < job.count; k++) {
    const i = job.worker === 1 ? k : job.count - 1 - k;
    if (structure.revoke((i + 1) * 4096, job.handles + 4 * i)) {
      Atomics.add(outcome, 2 * i + 1, 1);
      tookOne();
    }
  }
}
parentPort!.postMessage(taken);
