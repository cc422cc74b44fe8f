import { runWorker } from "@allocators/test-kit";
import { expect, it } from "vitest";

it("runs the TypeScript sources in a worker_threads worker, on shared memory", async () => {
  const shared = new SharedArrayBuffer(4096);
  const answer = await runWorker<{ ptr: number; size: number }>(
    new URL("./workers/arena-worker.ts", import.meta.url),
    shared,
  );
  const view = new Uint32Array(shared);
  expect(answer.ptr % 64).toBe(0);
  expect(answer.size).toBe(48);
  expect(view[answer.ptr / 4]).toBe(0xc0ffee);
});
