import { describe, expect, it } from "vitest";
import { EMPTY, Queue, STALL_SPINS } from "../src/index.js";

// White-box: the words of a queue at byte offset 0 (see src/ring.ts), to leave a cell exactly as a worker
// terminated at a given step would.
const HEAD = 16;
const TAIL = 32;
const SEQ = (cell: number) => 48 + 2 * cell;
const CAPACITY = 8;

function queueWithWords() {
  const buffer = new SharedArrayBuffer(Queue.byteLength({ capacity: CAPACITY }));
  return { queue: Queue.init(buffer, 0, { capacity: CAPACITY }), words: new Int32Array(buffer) };
}

/**
 * tryPop until an item comes: a pop that finds the next item still being written reports EMPTY, and only
 * calls in a row that find the same writer late take its position over.
 */
function popPatiently(queue: Queue): number {
  for (let call = 0; call <= 2 * STALL_SPINS; call++) {
    const item = queue.tryPop();
    if (item !== EMPTY) return item;
  }
  return EMPTY;
}

/** Pushes and pops `laps` times around the ring, checking FIFO order; returns the items popped. */
function cycle(queue: Queue, laps: number, first: number): number[] {
  const popped: number[] = [];
  let next = first;
  for (let lap = 0; lap < laps; lap++) {
    const pushed: number[] = [];
    for (let i = 0; i < CAPACITY - 2; i++) if (queue.tryPush(next)) pushed.push(next++);
    expect(pushed.length).toBeGreaterThanOrEqual(CAPACITY - 3);
    const out: number[] = [];
    for (let item = popPatiently(queue); item !== EMPTY; item = popPatiently(queue)) out.push(item);
    popped.push(...out);
  }
  return popped;
}

describe("a queue takes over the cell of a worker that stopped", () => {
  it("after it claimed a push position without writing: a blocking pop takes the position over", () => {
    const { queue, words } = queueWithWords();
    Atomics.add(words, TAIL, 1); // claimed position 0, then died
    expect(queue.tryPush(1)).toBe(true);
    expect(queue.pop({ timeout: 5000 })).toBe(1); // sleeps briefly, retries, poisons position 0
  });

  it("after it claimed a push position without writing (the position is poisoned)", () => {
    const { queue, words } = queueWithWords();
    Atomics.add(words, TAIL, 1); // claimed position 0, then died
    expect(queue.tryPush(1)).toBe(true);
    expect(queue.tryPop()).toBe(EMPTY); // the push at position 0 may still come
    expect(popPatiently(queue)).toBe(1); // ... until the pops take position 0 over (poisoned)
    const popped = cycle(queue, 4, 2);
    expect(popped).toEqual(popped.map((_, i) => i + 2));
  });

  it("while writing (that one cell is skipped by every later lap)", () => {
    const { queue, words } = queueWithWords();
    Atomics.add(words, TAIL, 1);
    Atomics.store(words, SEQ(0), 3); // WRITING for lap 0, then died
    expect(queue.tryPush(1)).toBe(true);
    expect(popPatiently(queue)).toBe(1);
    expect(queue.pop({ timeout: 1000 })).toBe(EMPTY); // a blocking pop is not stuck behind the dead cell
    const popped = cycle(queue, 4, 2);
    expect(popped).toEqual(popped.map((_, i) => i + 2));
    expect(Atomics.load(words, SEQ(0))).toBe(4); // ABANDONED for lap 0 forever
  });

  it("after it claimed a pop position holding an item (the item is carried forward, not lost)", () => {
    const { queue, words } = queueWithWords();
    expect(queue.tryPush(100)).toBe(true);
    Atomics.add(words, HEAD, 1); // claimed position 0 (item 100), then died before taking it
    for (let item = 1; item <= 7; item++) expect(queue.tryPush(item)).toBe(true);
    // Position 8 reuses cell 0: the push waits, carries 100 forward to position 8, then finds the queue full.
    expect(queue.tryPush(8)).toBe(false);
    const out: number[] = [];
    for (let item = popPatiently(queue); item !== EMPTY; item = popPatiently(queue)) out.push(item);
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 100]);
    const popped = cycle(queue, 4, 10);
    expect(popped).toEqual(popped.map((_, i) => i + 10));
  });

  it("after it revoked an item and the popper of that position died", () => {
    const buffer = new SharedArrayBuffer(Queue.byteLength({ capacity: CAPACITY }) + 64);
    const queue = Queue.init(buffer, 0, { capacity: CAPACITY });
    const words = new Int32Array(buffer);
    const handle = Queue.byteLength({ capacity: CAPACITY });
    expect(queue.tryPush(4096, handle)).toBe(true);
    expect(queue.revoke(4096, handle)).toBe(true);
    Atomics.add(words, HEAD, 1); // claimed the revoked position 0, then died
    const popped = cycle(queue, 4, 1);
    expect(popped).toEqual(popped.map((_, i) => i + 1));
  });
});
