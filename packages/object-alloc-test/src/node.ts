/**
 * The Node side: real `worker_threads` for the `workers` check, and running an adapter module by path or URL
 * (what the CLI does).
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { MessageChannel, Worker, type WorkerOptions } from "node:worker_threads";
import { adaptersOf } from "./adapter.js";
import type { Report } from "./report.js";
import { type CheckOptions, checkAdapter } from "./run.js";
import type { WorkerHost, WorkerOutcome, WorkerTask } from "./workers.js";

/** Starts a worker at `entry` (for example `startWorker` of a test kit that runs TypeScript sources). */
export type StartWorker = (entry: URL, options: WorkerOptions) => Worker;

const FROM_SOURCES = import.meta.url.endsWith(".ts");
const WORKER_ENTRY = new URL(`./worker-entry.${FROM_SOURCES ? "ts" : "js"}`, import.meta.url);

/**
 * Starts a worker at the entry. From the compiled build that is plain `new Worker`. From the TypeScript sources
 * (this module running under tsx), the worker first registers tsx, because Node does not apply `--import tsx`
 * to a worker's own entry.
 */
function defaultStart(entry: URL, options: WorkerOptions): Worker {
  if (!FROM_SOURCES) return new Worker(entry, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * A {@link WorkerHost} on `worker_threads`: one worker per task, each holding a port to the next (a ring), so
 * that blocks travel from worker to worker and are freed where they were not allocated.
 */
export function nodeWorkerHost(start: StartWorker = defaultStart): WorkerHost {
  return {
    async run(tasks: WorkerTask[]): Promise<WorkerOutcome[]> {
      const channels = tasks.map(() => new MessageChannel());
      const workers: Worker[] = [];
      try {
        const outcomes = tasks.map((task, i) => {
          const toNext = channels[i].port1;
          const fromPrevious = channels[(i + tasks.length - 1) % tasks.length].port2;
          const worker = start(WORKER_ENTRY, {
            workerData: { task, toNext, fromPrevious },
            transferList: [toNext, fromPrevious],
          });
          workers.push(worker);
          return new Promise<WorkerOutcome>((resolve, reject) => {
            worker.once("message", resolve);
            worker.once("error", reject);
            worker.once("exit", (code) =>
              reject(new Error(`worker ${i} exited with ${code} before reporting`)),
            );
          });
        });
        return await Promise.all(outcomes);
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
    },
  };
}

/** Options of {@link checkModule}: those of a run, and the number of workers (default 2; 0 skips the check). */
export interface ModuleOptions extends Omit<CheckOptions, "workers"> {
  workers?: number;
  /** Starts the workers (default: `worker_threads`). */
  start?: StartWorker;
}

/** Loads the adapter module at `pathOrUrl` and checks every adapter it exports. */
export async function checkModule(pathOrUrl: string | URL, options: ModuleOptions = {}): Promise<Report[]> {
  const url = toUrl(pathOrUrl);
  const adapters = adaptersOf((await import(url.href)) as Record<string, unknown>);
  const host = nodeWorkerHost(options.start);
  const reports: Report[] = [];
  for (const adapter of adapters) {
    reports.push(
      await checkAdapter(adapter, { ...options, workers: { count: options.workers ?? 2, host, url } }),
    );
  }
  return reports;
}

function toUrl(pathOrUrl: string | URL): URL {
  if (pathOrUrl instanceof URL) return pathOrUrl;
  return /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl) && !/^[a-z]:[\\/]/i.test(pathOrUrl)
    ? new URL(pathOrUrl)
    : pathToFileURL(pathOrUrl);
}

export type { WorkerHost, WorkerOutcome, WorkerTask } from "./workers.js";
