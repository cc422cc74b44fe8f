/**
 * The `workers` check: N workers attach to one shared allocator, run random operations, and hand some of their
 * blocks to the next worker, which verifies and frees them (cross-worker frees). The part that runs inside a
 * worker is here and uses only web APIs (message ports); starting workers is a {@link WorkerHost}'s job.
 *
 * Blocks are corruption tester objects: the header is self-verifying (its hash covers the address), so the
 * worker that frees a block checks it without knowing who wrote it, and a block handed out while another
 * worker still owns it shows the VALID nonce to its second owner.
 *
 * @module
 */
import type { UntypedObjectAlloc } from "@allocators/object-alloc";
import { adaptersOf } from "./adapter.js";
import { HEADER_SIZE, NONCE, restamp, stateOf } from "./corruption.js";
import { Rng } from "./random.js";
import type { CheckResult } from "./report.js";
import { type Mix, randomOps } from "./sequences.js";
import { describeError, Session, type Target, Violation, type ViolationKind } from "./session.js";
import { untypedTarget } from "./untyped.js";

/** What one worker is asked to do (structured-clonable). */
export interface WorkerTask {
  /** The adapter module, loaded by URL in the worker. */
  adapterUrl: string;
  /** Which adapter of the module (its `name`). */
  adapterName: string;
  /** What the adapter's `share` returned. */
  descriptor: unknown;
  seed: number;
  ops: number;
  index: number;
  /** What the random operations draw (one layout for an untyped object allocator). */
  mix: Mix;
}

/** What one worker reports. */
export interface WorkerOutcome {
  index: number;
  allocs: number;
  sent: number;
  freedForOthers: number;
  violation?: { kind: ViolationKind; message: string; log: string[] };
}

/** Starts one worker per task, wires each to the next in a ring, and collects their outcomes. */
export interface WorkerHost {
  run(tasks: WorkerTask[]): Promise<WorkerOutcome[]>;
}

/** The web subset of a `MessagePort` the ring needs. */
export interface PortLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: Event) => void): void;
  start?(): void;
  close?(): void;
}

type Handed = { ptr: number; size: number; align: number } | { done: true };

const CHUNK = 128;
const SEND_CHANCE = 0.15;

/** Runs a task inside a worker: `toNext` sends blocks on, `fromPrevious` receives blocks to free. */
export async function runWorkerTask(
  task: WorkerTask,
  toNext: PortLike,
  fromPrevious: PortLike,
): Promise<WorkerOutcome> {
  const module = (await import(task.adapterUrl)) as Record<string, unknown>;
  const adapter = adaptersOf(module).find((a) => a.name === task.adapterName);
  if (!adapter || adapter.kind === "object" || !adapter.attach) {
    throw new TypeError(`${task.adapterUrl} has no shareable adapter named ${task.adapterName}`);
  }
  const attached = adapter.attach(task.descriptor);
  const alloc =
    adapter.kind === "untyped" ? untypedTarget(attached as UntypedObjectAlloc) : (attached as Target);
  const outcome: WorkerOutcome = { index: task.index, allocs: 0, sent: 0, freedForOthers: 0 };
  const session = new Session(alloc, task.seed + task.index, 32);
  let previousDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    previousDone = resolve;
  });
  const record = (error: unknown) => {
    const violation = error instanceof Violation ? error : new Violation("threw", describeError(error));
    outcome.violation ??= {
      kind: violation.kind,
      message: `worker ${task.index}: ${violation.message}`,
      log: violation.log,
    };
  };
  fromPrevious.addEventListener("message", (event) => {
    const handed = (event as MessageEvent<Handed>).data;
    if ("done" in handed) return previousDone();
    try {
      freeForeign(alloc, handed, task.index);
      outcome.freedForOthers++;
    } catch (error) {
      record(error);
    }
  });
  fromPrevious.start?.();
  try {
    const rng = new Rng(task.seed ^ (task.index * 0x9e3779b9));
    const ops = randomOps(rng, task.ops, task.mix);
    for (let i = 0; i < ops.length && !outcome.violation; i++) {
      session.run(ops[i]);
      if (session.live.length > 0 && rng.chance(SEND_CHANCE)) {
        const block = session.release(session.live[rng.below(session.live.length)]);
        toNext.postMessage({ ptr: block.ptr, size: block.size, align: block.align } satisfies Handed);
        outcome.sent++;
      }
      if (i % CHUNK === CHUNK - 1) await turn();
    }
    session.freeAll();
  } catch (error) {
    record(error);
  }
  toNext.postMessage({ done: true } satisfies Handed);
  await finished;
  outcome.allocs = session.allocs;
  return outcome;
}

/** Verifies a block another worker owned, marks it dropped and frees it. */
function freeForeign(
  alloc: Target,
  block: { ptr: number; size: number; align: number },
  worker: number,
): void {
  if (block.size >= HEADER_SIZE) {
    if (stateOf(alloc.memory, block.ptr, block.size) !== "valid") {
      const message = `free(${block.size} B at ${block.ptr}, handed over by the previous worker): overwritten while live`;
      throw new Violation("corrupted", message, [`worker ${worker}: ${message}`]);
    }
    restamp(alloc.memory, block.ptr, block.size, NONCE.DROPPED);
  }
  alloc.dealloc(block.ptr, block.size, block.align);
}

/** Lets the event loop deliver messages. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Folds the workers' outcomes into the `workers` check's result. */
export function workersResult(outcomes: WorkerOutcome[], seed: number, ops: number): CheckResult {
  const broken = outcomes.find((o) => o.violation);
  if (broken?.violation) {
    const { kind, message, log } = broken.violation;
    return { check: "workers", status: "fail", detail: message, failure: { kind, message, seed, ops: log } };
  }
  const sent = outcomes.reduce((n, o) => n + o.sent, 0);
  return {
    check: "workers",
    status: "pass",
    detail: `${outcomes.length} workers x ${ops} ops on one heap, ${sent} blocks freed by another worker`,
  };
}
