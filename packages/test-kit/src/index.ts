/**
 * Workers for tests: every worker runs the TypeScript sources under test, never a build or a copy.
 *
 * Node 20 cannot run `.ts`, and does not apply `--import tsx` to a worker's own entry, so a worker starts at
 * `ts-worker.mjs`, which registers the tsx loader and imports the `.ts` module. The `source` export condition
 * makes `@allocators/*` resolve to `src/index.ts` there, as it does in vitest.
 *
 * @module
 */
import { Worker, type WorkerOptions } from "node:worker_threads";

const ENTRY = new URL("./ts-worker.mjs", import.meta.url);

/** Starts the TypeScript module `file` in a worker that runs the workspace's sources. */
export function startWorker(file: URL, options: WorkerOptions = {}): Worker {
  return new Worker(ENTRY, {
    ...options,
    argv: [file.href, ...(options.argv ?? [])],
    execArgv: ["--conditions=source", ...(options.execArgv ?? [])],
  });
}

/**
 * Runs `file` in a worker with `workerData` and resolves with the first message it posts; rejects when it
 * throws or exits before posting.
 */
export function runWorker<T>(file: URL, workerData: unknown, options: WorkerOptions = {}): Promise<T> {
  const worker = startWorker(file, { ...options, workerData });
  return new Promise<T>((resolve, reject) => {
    worker.once("message", (message: T) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new Error(`worker ${file.pathname} exited with ${code} before answering`)),
    );
  });
}
