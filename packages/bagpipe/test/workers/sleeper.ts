import { parentPort, workerData } from "node:worker_threads";
import type { Descriptor } from "../../src/index.js";
import { attach, type Kind } from "./structures.js";

/** Says "ready", then blocks in pop({ timeout }) and reports what it got and how long it slept. */
const { kind, descriptor, timeout } = workerData as { kind: Kind; descriptor: Descriptor; timeout: number };
const channel = attach(kind, descriptor);
parentPort!.postMessage("ready");
const start = performance.now();
const item = channel.pop({ timeout });
parentPort!.postMessage({ item, ms: performance.now() - start });
