/**
 * A pool worker: opens heaps and runs kernels on request from `pool.ts`.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import type { HeapAdapter } from "./adapters/adapter.js";
import { openAdapter } from "./adapters/contenders.js";
import type { KernelInstance } from "./kernel.js";
import { loadKernel } from "./kernels.js";
import type { PoolReply, PoolRequest } from "./pool.js";

const running = new Map<number, { heap: HeapAdapter; kernel: KernelInstance }>();
const port = parentPort;
if (!port) throw new Error("worker.ts runs in a pool worker");

async function serve(request: PoolRequest): Promise<PoolReply> {
  switch (request.type) {
    case "setup": {
      const heap = await openAdapter(request.source);
      const load = loadKernel(request.kernel, request.source.kind, `case-${request.id}`);
      const kernel = (await load)({ ...request, heap });
      running.set(request.id, { heap, kernel });
      return {};
    }
    case "run": {
      const entry = running.get(request.id);
      if (!entry) return { ops: 0 };
      const ops = entry.kernel.run(request.iterations);
      const peakLiveBytes = entry.kernel.peakLiveBytes?.() ?? 0;
      return { ops, committedBytes: entry.heap.committedBytes(), peakLiveBytes };
    }
    case "teardown": {
      const entry = running.get(request.id);
      running.delete(request.id);
      entry?.kernel.teardown?.();
      entry?.heap.dispose();
      return {};
    }
  }
}

port.on("message", (request: PoolRequest) => {
  serve(request).then(
    (reply) => port.postMessage(reply),
    (error: Error) => port.postMessage({ error: error.stack ?? String(error) }),
  );
});
