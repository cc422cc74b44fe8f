/**
 * The module every worker of the `workers` check starts at (Node): attaches to the shared allocator through the
 * adapter module named in its task, runs the task, and posts the outcome.
 *
 * @module
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { runWorkerTask, type WorkerTask } from "./workers.js";

const { task, toNext, fromPrevious } = workerData as {
  task: WorkerTask;
  toNext: MessagePort;
  fromPrevious: MessagePort;
};

// A compiled entry (dist/*.js) loading a TypeScript adapter needs the tsx loader in this worker: Node does not
// carry `--import tsx` into workers. Run from sources, this module is itself loaded through tsx already.
if (import.meta.url.endsWith(".js") && /\.[cm]?tsx?$/.test(new URL(task.adapterUrl).pathname)) {
  const loader = "tsx/esm/api";
  const { register } = (await import(loader)) as { register(): void };
  register();
}

parentPort!.postMessage(await runWorkerTask(task, toNext, fromPrevious));
