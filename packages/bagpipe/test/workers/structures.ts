import { BagPipe, type Descriptor, Queue, Stack } from "../../src/index.js";

/** Which structure a worker attaches to. */
export type Kind = "queue" | "stack" | "bagpipe";

/** Attaches to the structure of `kind` that `descriptor` describes. */
export function attach(kind: Kind, descriptor: Descriptor): Queue | Stack | BagPipe {
  if (kind === "queue") return Queue.attach(descriptor);
  if (kind === "stack") return Stack.attach(descriptor);
  return BagPipe.attach(descriptor);
}

/** A bijection of item numbers onto u32 values that spreads them over the whole range, high bit included. */
export function itemOf(index: number): number {
  return (index ^ 0x8badf00d) >>> 0;
}

export function indexOf(item: number): number {
  return (item ^ 0x8badf00d) >>> 0;
}

/** Gives the CPU away briefly (the machine has 2 cores for 8 workers). */
export function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0.05);
}
