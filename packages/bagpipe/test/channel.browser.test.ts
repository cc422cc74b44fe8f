import { runWebWorker } from "@allocators/test-kit/browser";
import { describe, expect, it } from "vitest";
import { BagPipe, EMPTY, Queue } from "../src/index.js";
import { indexOf, itemOf } from "./workers/structures.js";

// Runs in headless Chromium (the browser project), on a page served with COOP/COEP. The page's main thread
// uses only the non-blocking API (tryPush, tryPop, popAsync); Web Workers may block.

const WORKER = new URL("./workers/web-channel.ts", import.meta.url);

describe("bagpipe on a browser main thread", () => {
  it("cannot use the blocking pop there (Atomics.wait throws), and popAsync times out without blocking", async () => {
    const queue = Queue.create({ capacity: 8 });
    expect(() => queue.pop({ timeout: 5 })).toThrow(TypeError);
    const started = performance.now();
    await expect(queue.popAsync({ timeout: 30 })).resolves.toBe(EMPTY);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("wakes a pending popAsync on close", async () => {
    const queue = Queue.create({ capacity: 8 });
    const pending = queue.popAsync({ timeout: 30_000 });
    queue.close();
    await expect(pending).resolves.toBe(EMPTY);
  });
});

describe("bagpipe across Web Workers", () => {
  it("moves every item of 2 producer workers exactly once through a Queue to the page's popAsync", async () => {
    const per = 20_000;
    const queue = Queue.create({ capacity: 256 });
    const producers = [0, 1].map((p) =>
      runWebWorker<number>(WORKER, {
        kind: "queue",
        descriptor: queue.share(),
        role: "producer",
        from: p * per,
        to: (p + 1) * per,
        seen: new SharedArrayBuffer(4),
      }),
    );
    const counts = new Int32Array(2 * per);
    for (let taken = 0; taken < 2 * per; taken++)
      counts[indexOf(await queue.popAsync({ timeout: 30_000 }))]++;
    expect(counts.every((count) => count === 1)).toBe(true);
    await expect(Promise.all(producers)).resolves.toEqual([per, per]);
    expect(queue.tryPop()).toBe(EMPTY);
  });

  it("moves every item exactly once through a BagPipe from 2 producer workers to 2 blocking consumer workers", async () => {
    const per = 20_000;
    const total = 2 * per;
    const bag = BagPipe.create({ pipes: 4, capacity: 64 });
    const seen = new SharedArrayBuffer(total * 4);
    const job = { kind: "bagpipe", descriptor: bag.share(), seen };
    const consumers = [0, 1].map(() =>
      runWebWorker<number>(WORKER, { ...job, role: "consumer", from: 0, to: 0 }),
    );
    const producers = [0, 1].map((p) =>
      runWebWorker<number>(WORKER, { ...job, role: "producer", from: p * per, to: (p + 1) * per }),
    );
    await expect(Promise.all(producers)).resolves.toEqual([per, per]);
    // The page closes the bag once every item is in: the consumers drain it and stop.
    bag.close();
    const moved = await Promise.all(consumers);
    expect(moved[0] + moved[1]).toBe(total);
    const counts = new Int32Array(seen);
    expect(counts.every((count) => count === 1)).toBe(true);
    expect(bag.tryPush(itemOf(0))).toBe(false); // closed
  });
});
