import { isMainThread, workerData } from "node:worker_threads";
import { BagPipe, type Descriptor, EMPTY, Queue, Stack } from "@allocators/bagpipe";
import { startWorker } from "@allocators/test-kit";
import type { Stop } from "./stop.js";

const ITEMS = 300_000;
const SLAB = 4096;

interface Stage {
  tourBagpipe: true;
  role: "produce" | "double" | "consume";
  input: Descriptor;
  output: Descriptor;
  control: SharedArrayBuffer; // [workers ready, go]
  result: SharedArrayBuffer;
}

/** A worker of the pipeline: producer -> queue -> doubler -> BagPipe -> consumer, blocking pops throughout. */
function runStage(stage: Stage): void {
  const input = Queue.attach(stage.input);
  const output = BagPipe.attach(stage.output);
  const control = new Int32Array(stage.control);
  Atomics.add(control, 0, 1);
  Atomics.wait(control, 1, 0); // start together, once every worker is up
  if (stage.role === "produce") {
    for (let i = 1; i <= ITEMS; i++) while (!input.tryPush(i)) Atomics.wait(control, 1, 1, 0.05); // full: nap
    input.close();
  } else if (stage.role === "double") {
    for (let item = input.pop(); item !== EMPTY; item = input.pop()) {
      while (!output.push(item * 2)) Atomics.wait(control, 1, 1, 0.05);
    }
    output.close();
  } else {
    let sum = 0;
    for (let item = output.pop(); item !== EMPTY; item = output.pop()) sum += item;
    new Float64Array(stage.result)[0] = sum;
  }
}

export const bagpipeStop: Stop = {
  title: "@allocators/bagpipe: lock-free queues, stacks and BagPipes across workers",
  async run(print) {
    const queue = Queue.create({ capacity: 8 });
    for (const item of [1, 2, 3]) queue.tryPush(item);
    const stack = Stack.create({ capacity: 8 });
    for (const item of [1, 2, 3]) stack.tryPush(item);
    print(
      `Queue pops ${[queue.tryPop(), queue.tryPop(), queue.tryPop()]} (FIFO); Stack pops ${[stack.tryPop(), stack.tryPop(), stack.tryPop()]} (LIFO); then ${queue.tryPop()} = EMPTY`,
    );

    // elfmalloc's use: slabs in a bag of available slabs, each with a revocation handle in its header.
    const heap = new SharedArrayBuffer(8 * SLAB); // the bag's region at 0, slabs in pages 4 to 7
    const available = BagPipe.init(heap, 0, { pipes: 4, capacity: 16 });
    const slabs = [4, 5, 6, 7].map((i) => i * SLAB);
    for (const slab of slabs) available.push(slab, slab + 12); // handle field at byte 12 of the slab header
    print(
      `4 slabs available (sizeGuess ${available.sizeGuess()}); revoke ${slabs[1]}: ${available.revoke(slabs[1], slabs[1] + 12)}, again: ${available.revoke(slabs[1], slabs[1] + 12)}`,
    );
    const left: number[] = [];
    for (let slab = available.tryPop(); slab !== EMPTY; slab = available.tryPop()) left.push(slab);
    print(`popped the rest: ${left.sort((a, b) => a - b).join(", ")}`);

    const input = Queue.create({ capacity: 1024 });
    const output = BagPipe.create({ pipes: 4, capacity: 256 });
    const result = new SharedArrayBuffer(8);
    const control = new Int32Array(new SharedArrayBuffer(8));
    const stage = {
      tourBagpipe: true,
      input: input.share(),
      output: output.share(),
      control: control.buffer,
      result,
    };
    const workers = (["produce", "double", "consume"] as const).map((role) =>
      startWorker(new URL(import.meta.url), { workerData: { ...stage, role } }),
    );
    while (Atomics.load(control, 0) < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const start = performance.now();
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once("exit", resolve))));
    const seconds = (performance.now() - start) / 1000;
    const sum = new Float64Array(result)[0];
    print(
      `pipeline producer -> Queue -> doubler -> BagPipe -> consumer, 3 workers, blocking pops, close() to finish:`,
    );
    print(
      `  ${ITEMS} items, sum ${sum} (expected ${ITEMS * (ITEMS + 1)}), ${(ITEMS / seconds / 1e6).toFixed(2)} M items/s through both hops (2 shared cores)`,
    );
  },
};

if (!isMainThread && (workerData as Partial<Stage> | null)?.tourBagpipe) runStage(workerData as Stage);
