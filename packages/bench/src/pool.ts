/**
 * The worker pool of multi-worker workloads: started once per `pnpm bench` and reused by every workload, so
 * that worker start-up (tsx compiling the sources) is never timed. Each worker holds the kernels of the cases
 * it serves, by case id, between `setup` and `teardown`.
 *
 * @module
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "@allocators/test-kit";
import type { AdapterSource } from "./adapters/adapter.js";

/** Messages to a pool worker (see `worker.ts`). */
export type PoolRequest =
  | {
      type: "setup";
      id: number;
      kernel: string;
      source: AdapterSource;
      index: number;
      workers: number;
      shared: boolean;
      params: Record<string, unknown>;
    }
  | { type: "run"; id: number; iterations: number }
  | { type: "teardown"; id: number };

export interface PoolReply {
  ops?: number;
  /** After a run: the worker's heap's committed bytes and its kernel's peak live bytes. */
  committedBytes?: number;
  peakLiveBytes?: number;
  error?: string;
}

interface PoolWorker {
  worker: Worker;
  pending: ((reply: PoolReply) => void)[];
  /** It threw outside a request or exited: the next request starts a new worker in its place. */
  dead: boolean;
}

const workers: PoolWorker[] = [];

function spawn(): PoolWorker {
  const worker = startWorker(new URL("./worker.ts", import.meta.url));
  const entry: PoolWorker = { worker, pending: [], dead: false };
  const fail = (error: string) => {
    entry.dead = true;
    for (const resolve of entry.pending.splice(0)) resolve({ error });
  };
  worker.on("message", (reply: PoolReply) => entry.pending.shift()?.(reply));
  worker.on("error", (error) => fail(String(error)));
  worker.on("exit", (code) => fail(`pool worker exited with code ${code}`));
  return entry;
}

/** Sends `request` to worker `index` (starting workers up to it) and resolves with its reply. */
export function ask(index: number, request: PoolRequest): Promise<PoolReply> {
  while (workers.length <= index) workers.push(spawn());
  if (workers[index].dead) workers[index] = spawn();
  const entry = workers[index];
  return new Promise((resolve, reject) => {
    entry.pending.push((reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)));
    entry.worker.postMessage(request);
  });
}

/** Stops every pool worker. */
export async function closePool(): Promise<void> {
  await Promise.all(workers.splice(0).map((entry) => entry.worker.removeAllListeners("exit").terminate()));
}
