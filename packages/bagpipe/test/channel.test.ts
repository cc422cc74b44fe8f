import { runWorker, startWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { BagPipe, EMPTY, Queue, Stack } from "../src/index.js";
import type { Kind } from "./workers/structures.js";

const SLEEPER = new URL("./workers/sleeper.ts", import.meta.url);
const PUSHER = new URL("./workers/pusher.ts", import.meta.url);
const DRAINER = new URL("./workers/drainer.ts", import.meta.url);

function create(kind: Kind) {
  if (kind === "queue") return Queue.create({ capacity: 8 });
  if (kind === "stack") return Stack.create({ capacity: 8 });
  return BagPipe.create({ pipes: 4, capacity: 8 });
}

/** Starts a worker blocked in pop() and resolves once it said it is about to block. */
async function sleeper(kind: Kind, channel: ReturnType<typeof create>, timeout: number) {
  const worker = startWorker(SLEEPER, { workerData: { kind, descriptor: channel.share(), timeout } });
  const messages: unknown[] = [];
  const result = new Promise<{ item: number; ms: number }>((resolve, reject) => {
    worker.on("message", (message) => (message === "ready" ? messages.push(message) : resolve(message)));
    worker.once("error", reject);
  });
  while (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 100)); // let it reach Atomics.wait
  return { result, done: () => worker.terminate() };
}

describe.each<Kind>(["queue", "stack", "bagpipe"])("%s as a channel", (kind) => {
  it("wakes a consumer blocked in pop() when an item is pushed", async () => {
    const channel = create(kind);
    const blocked = await sleeper(kind, channel, 20_000);
    expect(channel.tryPush(77)).toBe(true);
    const { item, ms } = await blocked.result;
    expect(item).toBe(77);
    expect(ms).toBeGreaterThanOrEqual(90); // it did block until the push
    expect(ms).toBeLessThan(10_000); // ... and was woken by it, not by its 20 s timeout
    await blocked.done();
  });

  it("wakes a consumer for every item pushed while it sleeps, one at a time", async () => {
    const channel = create(kind);
    const count = 40;
    const worker = startWorker(DRAINER, {
      workerData: { kind, descriptor: channel.share(), count, timeout: 20_000 },
    });
    let ready = false;
    const report = new Promise<{ items: number[]; longest: number }>((resolve, reject) => {
      worker.on("message", (message) => {
        if (message === "ready") ready = true;
        else resolve(message);
      });
      worker.once("error", reject);
    });
    while (!ready) await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the consumer is asleep again by now, mostly
      expect(channel.tryPush(1000 + i)).toBe(true);
    }
    const { items, longest } = await report;
    expect(items.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => 1000 + i));
    expect(longest).toBeLessThan(10_000); // no wake-up was lost (a lost one would wait out the 20 s timeout)
    await worker.terminate();
  });

  it("wakes a blocked consumer on close(), and then refuses pushes", async () => {
    const channel = create(kind);
    const blocked = await sleeper(kind, channel, 20_000);
    channel.close();
    const { item, ms } = await blocked.result;
    expect(item).toBe(EMPTY);
    expect(ms).toBeLessThan(10_000);
    expect(channel.tryPush(1)).toBe(false);
    await blocked.done();
  });

  it("resolves popAsync() on this thread when a worker pushes", async () => {
    const channel = create(kind);
    const start = performance.now();
    const popped = channel.popAsync({ timeout: 20_000 });
    const pushed = runWorker<boolean>(PUSHER, {
      kind,
      descriptor: channel.share(),
      item: 0xfeedf00d,
      delay: 50,
    });
    expect(await popped).toBe(0xfeedf00d);
    expect(performance.now() - start).toBeLessThan(10_000); // woken by the push, not by the timeout
    expect(await pushed).toBe(true);
  });
});

describe("timeouts and draining", () => {
  it("pop() and popAsync() return EMPTY after their timeout", async () => {
    const queue = Queue.create({ capacity: 8 });
    const start = performance.now();
    expect(queue.pop({ timeout: 30 })).toBe(EMPTY);
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    expect(await queue.popAsync({ timeout: 30 })).toBe(EMPTY);
    expect(queue.pop({ timeout: 0 })).toBe(EMPTY);
  });

  it("lets consumers drain a closed channel", async () => {
    const bag = BagPipe.create({ pipes: 2, capacity: 8 });
    bag.push(1);
    bag.push(2);
    bag.close();
    expect(bag.push(3)).toBe(false);
    expect(bag.closed).toBe(true);
    const got = [bag.pop(), await bag.popAsync()].sort();
    expect(got).toEqual([1, 2]);
    expect(bag.pop()).toBe(EMPTY); // closed and drained: returns at once
    expect(await bag.popAsync()).toBe(EMPTY);
  });
});
