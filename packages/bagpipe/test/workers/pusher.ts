import { parentPort, workerData } from "node:worker_threads";
import type { Descriptor } from "../../src/index.js";
import { attach, type Kind } from "./structures.js";

/** Waits `delay` ms, then pushes `item`. */
const { kind, descriptor, item, delay } = workerData as {
  kind: Kind;
  descriptor: Descriptor;
  item: number;
  delay: number;
};
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
parentPort!.postMessage(attach(kind, descriptor).tryPush(item));
