import { runWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { BagPipe, EMPTY, Queue } from "../src/index.js";

const RACE = new URL("./workers/revoke-race.ts", import.meta.url);

describe("revoke", () => {
  it("removes a queued item in place, once, and never one a consumer took", () => {
    const buffer = new SharedArrayBuffer(4096);
    const queue = Queue.init(buffer, 0, { capacity: 8 });
    const handles = new Uint32Array(buffer, 2048, 4);
    const handleAt = (i: number) => 2048 + 4 * i;
    for (let i = 0; i < 3; i++) expect(queue.tryPush((i + 1) * 4096, handleAt(i))).toBe(true);
    expect([...handles.slice(0, 3)]).toEqual([1, 2, 3]); // cell number + 1
    expect(queue.revoke(8192, handleAt(1))).toBe(true);
    expect(queue.revoke(8192, handleAt(1))).toBe(false); // already revoked
    expect(queue.revoke(12288, handleAt(0))).toBe(false); // that handle's cell holds another item
    expect(queue.revoke(4096, handleAt(3))).toBe(false); // a handle never recorded (0)
    expect(queue.tryPop()).toBe(4096);
    expect(queue.revoke(4096, handleAt(0))).toBe(false); // a consumer took it
    expect(queue.tryPop()).toBe(12288); // the revoked cell is skipped
    expect(queue.tryPop()).toBe(EMPTY);
  });

  it("finds the ring of a BagPipe item from its handle", () => {
    const buffer = new SharedArrayBuffer(1 << 16);
    const bag = BagPipe.init(buffer, 0, { pipes: 4, capacity: 8 });
    const base = 1 << 15;
    const items = Array.from({ length: 20 }, (_, i) => (i + 1) * 4096);
    for (const [i, item] of items.entries()) expect(bag.push(item, base + 4 * i)).toBe(true);
    for (let i = 0; i < 20; i += 2) expect(bag.revoke(items[i], base + 4 * i)).toBe(true);
    const got: number[] = [];
    for (let item = bag.tryPop(); item !== EMPTY; item = bag.tryPop()) got.push(item);
    expect(got.sort((a, b) => a - b)).toEqual(items.filter((_, i) => i % 2 === 1));
    for (let i = 1; i < 20; i += 2) expect(bag.revoke(items[i], base + 4 * i)).toBe(false);
  });
});

describe.each(["queue", "bagpipe"] as const)("revoke racing with pop across workers (%s)", (kind) => {
  it("gives every item to exactly one of them", async () => {
    const count = 20_000;
    const structureBytes =
      kind === "queue"
        ? Queue.byteLength({ capacity: 32768 })
        : BagPipe.byteLength({ pipes: 4, capacity: 8192 });
    const handles = Math.ceil(structureBytes / 64) * 64;
    const buffer = new SharedArrayBuffer(handles + 4 * count);
    const structure =
      kind === "queue"
        ? Queue.init(buffer, 0, { capacity: 32768 })
        : BagPipe.init(buffer, 0, { pipes: 4, capacity: 8192 });
    const push = (item: number, handle: number) =>
      structure instanceof BagPipe ? structure.push(item, handle) : structure.tryPush(item, handle);
    for (let i = 0; i < count; i++) expect(push((i + 1) * 4096, handles + 4 * i)).toBe(true);
    const outcome = new SharedArrayBuffer(8 * count); // per item: [taken by pop, taken by revoke]
    const go = new SharedArrayBuffer(12);
    const job = { kind, descriptor: structure.share(), handles, count, outcome, go };
    const runs = [0, 1, 2, 3].map((w) =>
      runWorker<number>(RACE, { ...job, role: w % 2 ? "revoke" : "pop", worker: w }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the workers start and wait for `go`
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const done = await Promise.all(runs);
    const taken = new Int32Array(outcome);
    let popped = 0;
    let revoked = 0;
    for (let i = 0; i < count; i++) {
      expect(taken[2 * i] + taken[2 * i + 1]).toBe(1);
      popped += taken[2 * i];
      revoked += taken[2 * i + 1];
    }
    expect(popped + revoked).toBe(count);
    expect(Math.min(popped, revoked)).toBeGreaterThan(0); // both sides really took part
    expect(done.reduce((a, b) => a + b)).toBe(count);
    expect(structure.tryPop()).toBe(EMPTY);
  });
});
