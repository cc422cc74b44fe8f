import { runWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { BagPipe, Queue, Stack } from "../src/index.js";
import type { Kind } from "./workers/structures.js";

const MOVER = new URL("./workers/mover.ts", import.meta.url);
const TOTAL = 1_000_000;
const PRODUCERS = 4;
const CONSUMERS = 4;

function create(kind: Kind) {
  if (kind === "queue") return Queue.create({ capacity: 4096 });
  if (kind === "stack") return Stack.create({ capacity: 4096 });
  return BagPipe.create({ pipes: 8, capacity: 512 });
}

describe.each<Kind>(["queue", "stack", "bagpipe"])("%s across 4 producer and 4 consumer workers", (kind) => {
  it(`moves ${TOTAL} items: none lost, none duplicated, none invented`, async () => {
    const channel = create(kind);
    const seen = new SharedArrayBuffer(TOTAL);
    const consumed = new SharedArrayBuffer(8);
    const common = { kind, descriptor: channel.share(), total: TOTAL, seen, consumed };
    const share = TOTAL / PRODUCERS;
    const runs = [
      ...Array.from({ length: PRODUCERS }, (_, p) =>
        runWorker<number>(MOVER, { ...common, role: "producer", from: p * share, to: (p + 1) * share }),
      ),
      ...Array.from({ length: CONSUMERS }, () =>
        runWorker<number>(MOVER, { ...common, role: "consumer", from: 0, to: 0 }),
      ),
    ];
    const moved = await Promise.all(runs);
    expect(moved.slice(0, PRODUCERS)).toEqual([share, share, share, share]);
    expect(moved.slice(PRODUCERS).reduce((a, b) => a + b)).toBe(TOTAL);
    const counts = new Uint8Array(seen);
    expect(counts.every((count) => count === 1)).toBe(true);
    expect(new Int32Array(consumed)[1]).toBe(0); // no value that was never pushed
    expect(channel.tryPop()).toBe(-1);
    expect(channel.closed).toBe(true);
  });
});
