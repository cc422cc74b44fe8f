import { runWorker, startWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { ElfMalloc } from "../src/index.js";
import { verifyBlock } from "./pattern.js";

const churn = new URL("./workers/churn.ts", import.meta.url);
interface Result {
  errors: number;
  crossFrees: number;
  threadId: number;
}

function drain(heap: ElfMalloc, exchange: Int32Array): void {
  for (let i = 0; i < exchange.length; i++) {
    const ptr = Atomics.exchange(exchange, i, 0);
    if (ptr !== 0) {
      expect(verifyBlock(heap, ptr)).toBe(true);
      heap.free(ptr);
    }
  }
}

describe("many workers on one heap", () => {
  it("8 workers malloc, free, realloc and free each other's blocks without corruption", async () => {
    const heap = ElfMalloc.create({ maxBytes: 512 << 20 });
    const exchange = new Int32Array(new SharedArrayBuffer(4 * 64));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        runWorker<Result>(churn, {
          heap: heap.shareThread(),
          exchange: exchange.buffer,
          ops: 30_000,
          seed: k + 1,
          maxSize: 70_000,
        }),
      ),
    );
    for (const r of results) expect(r.errors).toBe(0);
    expect(results.reduce((n, r) => n + r.crossFrees, 0)).toBeGreaterThan(1000);
    drain(heap, exchange);
    expect(heap.check()).toEqual([]);
    expect(heap.stats().liveBytes).toBe(0);
    heap.detach();
  });

  it("workers that leave while others free their medium blocks: chunks orphaned, adopted, none lost", async () => {
    const heap = ElfMalloc.create({ maxBytes: 256 << 20 });
    const [workers, slots] = [4, 200];
    const mailbox = new Int32Array(new SharedArrayBuffer(4 * workers * slots));
    const ready = new SharedArrayBuffer(4);
    const leavers = new URL("./workers/leavers.ts", import.meta.url);
    const results = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        runWorker<{ errors: number; freed: number }>(leavers, {
          heap: heap.share(),
          mailbox: mailbox.buffer,
          ready,
          index,
          workers,
          rounds: 150,
          slots,
        }),
      ),
    );
    for (const r of results) expect(r.errors).toBe(0);
    expect(results.reduce((n, r) => n + r.freed, 0)).toBeGreaterThan(workers * slots);
    // What the workers left is live, in chunks whose threads have all gone: orphans, until a free adopts them.
    const chunks = heap.snapshot().chunks;
    expect(chunks.some((c) => c.owner === -1)).toBe(true);
    expect(chunks.every((c) => c.owner === -1 || c.owner === heap.threadId)).toBe(true);
    expect(heap.check()).toEqual([]);
    drain(heap, mailbox);
    heap.trim();
    const snapshot = heap.snapshot();
    expect(snapshot.stats.liveBytes).toBe(0);
    expect(snapshot.chunks).toEqual([]);
    expect(heap.check()).toEqual([]);
    heap.detach();
  });

  it("a worker terminated mid-run is reclaimed and the heap stays usable and consistent", async () => {
    const heap = ElfMalloc.create({ maxBytes: 512 << 20 });
    const exchange = new Int32Array(new SharedArrayBuffer(4 * 64));
    for (let round = 0; round < 3; round++) {
      const descriptor = heap.shareThread();
      const victim = startWorker(churn, {
        workerData: {
          heap: descriptor,
          exchange: exchange.buffer,
          ops: 0,
          seed: 99 + round,
          maxSize: 300_000,
          forever: true,
        },
      });
      const survivor = runWorker<Result>(churn, {
        heap: heap.shareThread(),
        exchange: exchange.buffer,
        ops: 20_000,
        seed: 7 + round,
        maxSize: 20_000,
      });
      await new Promise((resolve) => victim.once("message", resolve));
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 40));
      const exited = new Promise((resolve) => victim.once("exit", resolve));
      await victim.terminate();
      await exited;
      expect(heap.reclaimThread(descriptor.slot)).toBe(true);
      expect((await survivor).errors).toBe(0);
    }
    drain(heap, exchange);
    const ptrs = Array.from({ length: 1000 }, (_, i) => heap.malloc(16 + i));
    expect(ptrs.every((p) => p !== 0)).toBe(true);
    for (const p of ptrs) heap.free(p);
    // The victims' own live blocks leak (nobody holds their pointers) but stay counted as live. A victim killed
    // in the middle of a free into a slab leaves that one slab's count above its free bits, and blocks counted
    // neither live nor free; killed between a large block's page-map entries and the large counters (or the
    // large-block cache's slot), it leaves those off by one block; killed while taking a slab from a pool,
    // or writing or clearing a new or unmapped slab's page-map entries, that slab leaks, with its entries or
    // the slab and pool counters off by it; killed while making a slab available, that slab's word of the
    // class's available set may lack its summary mark. At most three such problems per kill (a large block
    // whose entries were half written: its run, and both large counters), and nothing else may be wrong.
    const problems = heap.check();
    const bounded =
      /blocks out of slabs|free bits|large granules|large blocks|cached|page map: \d+ granules disagree|(pooled|slab) granules|available slabs of class \d+: \d+ words/;
    expect(problems.filter((p) => !bounded.test(p))).toEqual([]);
    expect(problems.length, problems.join("\n")).toBeLessThanOrEqual(9);
    heap.detach();
  });
});

describe("slabs emptied and refilled by two workers at once", () => {
  it("are never reused while a free's bits are still on their way (counts and bit-sets agree)", async () => {
    // Every slab life cycle crosses workers here; a slab released before another free's bits landed took
    // those bits into its next life (counts drifted from bit-sets, and a worker spun forever within seconds).
    const batches = new URL("./workers/batches.ts", import.meta.url);
    for (let round = 0; round < 4; round++) {
      const heap = ElfMalloc.create({ maxBytes: 64 << 20 });
      const rounds = await Promise.all(
        [0, 1].map(() => runWorker<number>(batches, { heap: heap.shareThread(), ms: 400 })),
      );
      expect(Math.min(...rounds)).toBeGreaterThan(10);
      expect(heap.check()).toEqual([]);
      expect(heap.stats().liveBytes).toBe(0);
      heap.detach();
    }
  });
});

describe("large blocks", () => {
  it("a realloc that frees pages never clears the page-map entries of a block another worker just got", async () => {
    const remapRace = new URL("./workers/remap-race.ts", import.meta.url);
    const heap = ElfMalloc.create({ maxBytes: 256 << 20 });
    const [remapper, mapper] = await Promise.all(
      (["remap", "map"] as const).map((role) =>
        runWorker<{ unknown: number; rounds: number }>(remapRace, {
          heap: heap.shareThread(),
          role,
          ms: 1000,
        }),
      ),
    );
    expect(remapper.rounds).toBeGreaterThan(1000);
    expect(mapper.unknown).toBe(0);
    expect(heap.check()).toEqual([]);
    heap.detach();
  });
});
