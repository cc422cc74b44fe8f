import { parentPort, workerData } from "node:worker_threads";
import type { Descriptor } from "../../src/index.js";
import { attach, type Kind } from "./structures.js";

/** Says "ready", then takes `count` items with blocking pops; reports them and the longest pop in ms. */
const { kind, descriptor, count, timeout } = workerData as {
  kind: Kind;
  descriptor: Descriptor;
  count: number;
  timeout: number;
};
const channel = attach(kind, descriptor);
parentPort!.postMessage("ready");
const items: number[] = [];
let longest = 0;
for (let i = 0; i < count; i++) {
  const start = performance.now();
  items.push(channel.pop({ timeout }));
  longest = Math.max(longest, performance.now() - start);
}
parentPort!.postMessage({ items, longest });
