import { startWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { BagPipe, EMPTY, Queue, Stack } from "../src/index.js";
import { indexOf, itemOf, type Kind } from "./workers/structures.js";

const CHURN = new URL("./workers/churn.ts", import.meta.url);
const LOG = 1 << 21;
const SPAN = 1 << 28; // item numbers of worker w start at w * SPAN

function create(kind: Kind) {
  if (kind === "queue") return Queue.create({ capacity: 16 });
  if (kind === "stack") return Stack.create({ capacity: 16 });
  return BagPipe.create({ pipes: 2, capacity: 8 });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function churn(kind: Kind, channel: ReturnType<typeof create>, w: number) {
  const progress = new SharedArrayBuffer(16);
  const log = new SharedArrayBuffer(4 * LOG);
  const worker = startWorker(CHURN, {
    workerData: { kind, descriptor: channel.share(), first: w * SPAN, progress, log },
  });
  const stopped = new Promise((resolve) => worker.once("message", resolve));
  return { worker, progress: new Int32Array(progress), log: new Uint32Array(log), stopped };
}

describe.each<Kind>(["queue", "stack", "bagpipe"])("%s with a worker terminated mid-operation", (kind) => {
  it("stays usable by the others; every item is in or out, none duplicated or torn", async () => {
    for (let round = 0; round < 2; round++) {
      const channel = create(kind);
      const victim = churn(kind, channel, 0);
      const survivor = churn(kind, channel, 1);
      while (Atomics.load(victim.progress, 3) === 0 || Atomics.load(survivor.progress, 3) === 0)
        await sleep(5);
      await sleep(20 + Math.random() * 40);
      await victim.worker.terminate(); // somewhere inside a push or a pop, most likely
      await sleep(30); // the survivor keeps going over whatever the victim left
      Atomics.store(survivor.progress, 2, 1);
      await survivor.stopped;
      await survivor.worker.terminate();

      const seen = new Map<number, number>();
      const count = (item: number) => seen.set(item, (seen.get(item) ?? 0) + 1);
      for (const side of [victim, survivor]) for (let i = 0; i < side.progress[1]; i++) count(side.log[i]);
      // pop, not tryPop: a cell the victim was writing counts as "not in yet" until pops take it over.
      for (let item = channel.pop({ timeout: 50 }); item !== EMPTY; item = channel.pop({ timeout: 50 }))
        count(item);

      // Still a working structure: several laps through all of it. An item the victim left in a cell it was
      // popping (claimed, then terminated) comes out when that cell's next lap comes: count it then.
      for (let lap = 0; lap < 4; lap++) {
        const items = Array.from({ length: 12 }, (_, i) => lap * 100 + i);
        for (const item of items)
          expect(channel.tryPush(item) || (channel as BagPipe).push?.(item)).toBe(true);
        const out: number[] = [];
        for (let item = channel.pop({ timeout: 20 }); item !== EMPTY; item = channel.pop({ timeout: 20 })) {
          if (item < 1000) out.push(item);
          else count(item);
        }
        if (kind === "queue") expect(out).toEqual(items);
        else if (kind === "stack") expect(out).toEqual(items.reverse());
        else expect(out.sort((a, b) => a - b)).toEqual(items);
      }

      expect([...seen.values()].every((n) => n === 1)).toBe(true); // nothing duplicated
      let missing = 0;
      for (const [w, side] of [victim, survivor].entries()) {
        const pushed = side.progress[0];
        expect(pushed).toBeGreaterThan(0);
        for (let i = 0; i < pushed; i++) if (!seen.has(itemOf(w * SPAN + i))) missing++;
        seen.delete(itemOf(w * SPAN + pushed)); // the push in flight may or may not have happened
        for (let i = 0; i < pushed; i++) seen.delete(itemOf(w * SPAN + i));
      }
      expect([...seen.keys()].map(indexOf)).toEqual([]); // nothing torn or invented
      expect(missing).toBeLessThanOrEqual(1); // only the victim's pop in flight, if any
    }
  });
});
