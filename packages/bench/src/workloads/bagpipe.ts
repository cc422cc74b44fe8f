/**
 * bagpipe workloads: push/pop pairs and producer/consumer across 2 workers, for the Queue, the Stack and the
 * BagPipe, against postMessage (a MessageChannel between the workers) and ringbuf.js (SPSC, one item a push).
 *
 * This module is also the workers' code: started with `bagpipeBench` in its workerData, it serves rounds
 * that the main thread starts through a control block in shared memory.
 *
 * @module
 */
import { isMainThread, MessageChannel, type MessagePort, workerData } from "node:worker_threads";
import { BagPipe, type Descriptor, EMPTY, Queue, Stack } from "@allocators/bagpipe";
import { startWorker } from "@allocators/test-kit";
import { atLeast, type BenchCase, type Workload } from "../harness.js";

interface RingBufferLike {
  push(elements: Uint32Array): number;
  pop(elements: Uint32Array): number;
}
interface RingBufModule {
  RingBuffer: {
    new (storage: SharedArrayBuffer, type: Uint32ArrayConstructor): RingBufferLike;
    getStorageForCapacity(capacity: number, type: Uint32ArrayConstructor): SharedArrayBuffer;
  };
}
// ringbuf.js ships no types: a non-literal specifier keeps TypeScript from looking for them.
const RINGBUF: string = "ringbuf.js";
const { RingBuffer } = (await import(RINGBUF)) as RingBufModule;

/** Control words: a round starts when GEN changes; each worker adds 1 to DONE when it finished. */
const GEN = 0;
const JOB = 1;
const ITEMS = 2;
const DONE = 3;
const EXIT = -1;

const JOBS = ["Queue", "Stack", "BagPipe", "ringbuf.js (SPSC)", "postMessage"] as const;
type JobName = (typeof JOBS)[number];
const PAIRS = 100; // job ids >= PAIRS: the pairs variant of JOBS[id - PAIRS]

/**
 * The same waiting policy for every shared-memory case: spin a little, then give the core away for a moment.
 * On a loaded machine a side that only spins can burn its whole time slice while the other side, the one
 * that would make progress, waits for a core.
 */
const NAP = new Int32Array(new SharedArrayBuffer(4));
function backoff(failures: number): number {
  if (failures < 64) return failures + 1;
  Atomics.wait(NAP, 0, 0, 0.02);
  return 0;
}

interface Setup {
  bagpipeBench: true;
  role: number; // 0: producer (or first pair worker), 1: consumer (or second pair worker)
  control: SharedArrayBuffer;
  queue: Descriptor;
  stack: Descriptor;
  bag: Descriptor;
  ring: SharedArrayBuffer;
  port: MessagePort;
}

/** Two workers serving rounds on fresh structures: one team per workload. */
async function team(prefill: number) {
  const control = new Int32Array(new SharedArrayBuffer(16));
  const queue = Queue.create({ capacity: 4096 });
  const stack = Stack.create({ capacity: 4096 });
  const bag = BagPipe.create({ pipes: 8, capacity: 1024 });
  for (let i = 0; i < prefill; i++) queue.tryPush(i) && stack.tryPush(i) && bag.push(i);
  const ring = RingBuffer.getStorageForCapacity(4096, Uint32Array);
  const { port1, port2 } = new MessageChannel();
  const shared = { bagpipeBench: true, control: control.buffer, ring };
  const descriptors = { queue: queue.share(), stack: stack.share(), bag: bag.share() };
  const workers = [port1, port2].map((port, role) =>
    startWorker(new URL(import.meta.url), {
      workerData: { ...shared, ...descriptors, role, port },
      transferList: [port],
    }),
  );
  return {
    async round(job: number, items: number): Promise<number> {
      Atomics.store(control, JOB, job);
      Atomics.store(control, ITEMS, items);
      Atomics.store(control, DONE, 0);
      Atomics.add(control, GEN, 1);
      Atomics.notify(control, GEN);
      for (let done = Atomics.load(control, DONE); done < 2; done = Atomics.load(control, DONE)) {
        await Atomics.waitAsync(control, DONE, done).value;
      }
      return items;
    },
    async stop(): Promise<void> {
      Atomics.store(control, JOB, EXIT);
      Atomics.add(control, GEN, 1);
      Atomics.notify(control, GEN);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * A team of two workers per case, so that each worker's loops only ever call one structure, as in a program
 * that uses one: a loop shared by all the cases would call three classes, and that polymorphic call site (not
 * the structures) would then set the pace.
 */
function cases(prefill: number, jobs: readonly JobName[], offset: number): () => Promise<BenchCase[]> {
  return async () =>
    Promise.all(
      jobs.map(async (name) => {
        const workers = await team(prefill);
        return {
          name,
          run: (items: number) => workers.round(offset + JOBS.indexOf(name), items),
          teardown: () => workers.stop(),
        };
      }),
    );
}

/** Producer/consumer: one worker pushes, the other pops, one item at a time. */
export const bagpipeProducerConsumer: Workload = {
  name: "bagpipe-producer-consumer",
  description:
    "u32 items from one worker to another (items/s): lock-free structures vs postMessage and ringbuf.js",
  baseline: "postMessage",
  targets: [atLeast("Queue", 10, "postMessage", "issue #4: the MPMC queue between two workers")],
  iterations: { quick: 100_000, full: 500_000 },
  cases: cases(0, JOBS, 0),
};

/** Pairs: two workers each alternate push and pop on one structure (push+pop pairs/s), 1024 items prefilled. */
export const bagpipePairs: Workload = {
  name: "bagpipe-pairs",
  description: "2 workers each alternating push and pop on one shared structure (pairs/s), 1024 items in it",
  baseline: "Queue",
  targets: [atLeast("BagPipe", 1, "Queue", "issue #4: BagPipe pairs at least match the queue, 2 workers")],
  iterations: { quick: 200_000, full: 1_000_000 },
  cases: cases(1024, ["Queue", "Stack", "BagPipe"], PAIRS),
};

type Structure = Queue | Stack | BagPipe;

/** Pushes n items one at a time, backing off while the structure is full (a function of its own, not a loop inside the async serve(), so that it is optimised like a program's loop). */
function produce(s: Structure, n: number): void {
  for (let i = 0, f = 0; i < n; i++) while (!s.tryPush(i)) f = backoff(f);
}

/** Pops n items one at a time, backing off while the structure is empty. */
function consume(s: Structure, n: number): void {
  for (let got = 0, f = 0; got < n; ) {
    if (s.tryPop() !== EMPTY) got++;
    else f = backoff(f);
  }
}

/** The workers' side: serve rounds until told to exit. */
async function serve(setup: Setup): Promise<void> {
  const control = new Int32Array(setup.control);
  const structures = {
    Queue: Queue.attach(setup.queue),
    Stack: Stack.attach(setup.stack),
    BagPipe: BagPipe.attach(setup.bag),
  };
  const ring = new RingBuffer(setup.ring, Uint32Array);
  const one = new Uint32Array(1);
  let received = 0;
  let expected = 0;
  let roundDone: (() => void) | undefined;
  setup.port.on("message", () => {
    if (++received === expected) roundDone?.();
  });
  let generation = 0;
  for (;;) {
    const wait = Atomics.waitAsync(control, GEN, generation);
    if (wait.async) await wait.value;
    generation = Atomics.load(control, GEN);
    const job = Atomics.load(control, JOB);
    if (job === EXIT) break;
    const n = Atomics.load(control, ITEMS);
    const producer = setup.role === 0;
    if (job >= PAIRS) {
      const s = structures[JOBS[job - PAIRS] as keyof typeof structures];
      const push = s instanceof BagPipe ? (i: number) => s.push(i) : (i: number) => s.tryPush(i);
      for (let i = n >> 1; i > 0; i--) {
        push(i);
        s.tryPop();
      }
    } else if (JOBS[job] === "postMessage") {
      if (producer) for (let i = 0; i < n; i++) setup.port.postMessage(i);
      else {
        expected += n;
        if (received < expected) await new Promise<void>((resolve) => (roundDone = resolve));
      }
    } else if (JOBS[job] === "ringbuf.js (SPSC)") {
      if (producer) {
        for (let i = 0, f = 0; i < n; i++) {
          one[0] = i;
          while (ring.push(one) === 0) f = backoff(f);
        }
      } else {
        for (let got = 0, f = 0; got < n; ) {
          if (ring.pop(one) === 1) got++;
          else f = backoff(f);
        }
      }
    } else {
      const s = structures[JOBS[job] as keyof typeof structures];
      if (producer) produce(s, n);
      else consume(s, n);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
  setup.port.close();
}

if (!isMainThread && (workerData as Partial<Setup> | null)?.bagpipeBench) await serve(workerData as Setup);
