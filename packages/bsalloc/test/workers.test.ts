import { startWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import type { BsAlloc } from "../src/index.js";
import { freshAlloc, liveChunks } from "./helpers.js";

const CHURN = new URL("./workers/churn.ts", import.meta.url);

interface Report {
  id: number;
  ops: number;
  corrupt: number;
  failed: number;
}

function churn(bs: BsAlloc, id: number, rounds: number, control: number) {
  const worker = startWorker(CHURN, { workerData: { descriptor: bs.share(), id, rounds, control } });
  let holder = 0;
  const report = new Promise<Report>((resolve, reject) => {
    worker.on("message", (message: { kind: string; holder: number } & Report) => {
      if (message.kind === "holder") holder = message.holder;
      else resolve(message);
    });
    worker.once("error", reject);
  });
  return { worker, report, holder: () => holder };
}

function rounds(bs: BsAlloc, control: number, id: number): number {
  return Atomics.load(bs.memory.i32, (control >>> 2) + 1 + id);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("workers", () => {
  it("serves 4 workers allocating and freeing at once, never handing a block to two of them", async () => {
    const { bs } = freshAlloc(256 << 20);
    const control = bs.allocZeroed(64, 64);
    const runs = [0, 1, 2, 3].map((id) => churn(bs, id, 20_000, control));
    const reports = await Promise.all(runs.map((r) => r.report));
    for (const r of runs) await r.worker.terminate();
    for (const report of reports) expect(report).toMatchObject({ ops: 20_000, corrupt: 0, failed: 0 });
    bs.dealloc(control);
    expect(liveChunks(bs)).toBe(0);
    expect(bs.stats().largeBlocks).toBe(0);
    expect(bs.stats().classes.reduce((sum, c) => sum + c.lost, 0)).toBe(0);
    expect(bs.check()).toEqual([]);
  });

  it("keeps serving the others when workers are terminated at arbitrary instants, losing at most a chunk each", async () => {
    const { bs } = freshAlloc(256 << 20);
    const control = bs.allocZeroed(64, 64);
    const survivors = [churn(bs, 0, 0, control), churn(bs, 1, 0, control)];
    let kills = 0;
    for (let victim = 2; victim < 6; victim++) {
      const { worker, holder } = churn(bs, victim, 0, control);
      await until(() => rounds(bs, control, victim) > 200 + victim * 37, `worker ${victim} to start`);
      await worker.terminate();
      // bsalloc's own state needs no recovery; the address space's lock does, if the victim died holding it.
      bs.space.recover(holder());
      kills++;
      const progress = survivors.map((_, id) => rounds(bs, control, id));
      await until(
        () => survivors.every((_, id) => rounds(bs, control, id) > progress[id] + 500),
        "the survivors to progress after a kill",
      );
    }
    Atomics.store(bs.memory.i32, control >>> 2, 1);
    const reports = await Promise.all(survivors.map((s) => s.report));
    for (const s of survivors) await s.worker.terminate();
    for (const report of reports) expect(report).toMatchObject({ corrupt: 0, failed: 0 });
    expect(bs.check()).toEqual([]);
    // Blocks the victims held stay live (they were never freed); what the allocator itself lost is bounded.
    const lost = bs.stats().classes.reduce((sum, c) => sum + c.lost, 0);
    expect(lost).toBeLessThanOrEqual(kills);
    // Every class still allocates and frees.
    for (const size of [8, 200, 1000, 4000, 16000, 100_000]) {
      const ptr = bs.alloc(size);
      expect(ptr).toBeGreaterThan(0);
      bs.dealloc(ptr);
    }
  });
});
