import { parentPort, workerData } from "node:worker_threads";
import { type Descriptor, EMPTY } from "../../src/index.js";
import { attach, indexOf, itemOf, type Kind, pause } from "./structures.js";

/**
 * A producer pushes items `from..to`; a consumer pops with a blocking pop until the channel is closed,
 * counting each item in `seen`; the consumer that takes the last item closes the channel.
 */
interface Job {
  kind: Kind;
  descriptor: Descriptor;
  role: "producer" | "consumer";
  from: number;
  to: number;
  total: number;
  seen: SharedArrayBuffer;
  consumed: SharedArrayBuffer;
}

const job = workerData as Job;
const channel = attach(job.kind, job.descriptor);
let moved = 0;
if (job.role === "producer") {
  for (let i = job.from; i < job.to; i++) {
    while (!channel.tryPush(itemOf(i))) pause();
    moved++;
  }
} else {
  const seen = new Uint8Array(job.seen);
  const consumed = new Int32Array(job.consumed);
  for (let item = channel.pop({ timeout: 30_000 }); item !== EMPTY; item = channel.pop({ timeout: 30_000 })) {
    const index = indexOf(item);
    if (index < job.total) Atomics.add(seen, index, 1);
    else Atomics.add(consumed, 1, 1); // a value nobody pushed: counted as corruption
    moved++;
    if (Atomics.add(consumed, 0, 1) + 1 === job.total) channel.close();
  }
}
parentPort!.postMessage(moved);
