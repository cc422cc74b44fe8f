import { describe, expect, it } from "vitest";
import { EMPTY, Queue, STALL_SPINS } from "../src/index.js";
import { markWaited, PUSHED, publish, RETRY } from "../src/ring.js";

// White-box: the words of a queue at byte offset 0 (see src/ring.ts), to leave a cell or a hint exactly as a
// worker terminated at a given step would. (A popper takes its item with one CAS: it cannot stop half-way.)
const HEAD = 16;
const TAIL = 32;
const SEQ = (cell: number) => 48 + 2 * cell;
const SIGNAL = 5;
const CAPACITY = 8;

function queueWithWords() {
  const buffer = new SharedArrayBuffer(Queue.byteLength({ capacity: CAPACITY }));
  return { queue: Queue.init(buffer, 0, { capacity: CAPACITY }), words: new Int32Array(buffer) };
}

/**
 * tryPop until an item comes: a pop that finds the next item still being written reports EMPTY, and only
 * calls in a row that find the same writer late give its position up.
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

describe("a queue goes on past a worker that stopped", () => {
  it("while writing: a blocking pop gives up on the writer and takes the next item", () => {
    const { queue, words } = queueWithWords();
    Atomics.store(words, SEQ(0), 3); // pusher(0) claimed position 0 (WRITING), then died
    expect(queue.tryPush(1)).toBe(true);
    expect(queue.pop({ timeout: 5000 })).toBe(1); // sleeps briefly, retries, gives position 0 up
  });

  it("while writing, before its TAIL hint: pops give the writer up, every later lap skips that one cell", () => {
    const { queue, words } = queueWithWords();
    Atomics.store(words, SEQ(0), 3); // claimed position 0, then died before storing TAIL = 1
    expect(queue.tryPush(1)).toBe(true); // walks past position 0
    expect(queue.tryPop()).toBe(EMPTY); // the push at position 0 may still be published
    expect(popPatiently(queue)).toBe(1); // ... until the pops give its writer up (ABANDONED)
    expect(queue.pop({ timeout: 1000 })).toBe(EMPTY); // a blocking pop is not stuck behind the dead cell
    const popped = cycle(queue, 4, 2);
    expect(popped).toEqual(popped.map((_, i) => i + 2));
    const seq = Atomics.load(words, SEQ(0));
    expect(seq & (CAPACITY - 1)).toBe(4); // still ABANDONED: the mark moved on with the laps ...
    expect(seq - 4).toBeGreaterThanOrEqual(3 * CAPACITY); // ... each lap's pusher skipped it
  });

  it("late, not terminated: its publish fails, it releases the cell for a later lap, and nothing is lost", () => {
    const { queue, words } = queueWithWords();
    Atomics.store(words, SEQ(0), 3); // pusher(0) claimed position 0 and is slow to write
    expect(queue.tryPush(1)).toBe(true);
    expect(popPatiently(queue)).toBe(1); // the pops gave position 0 up (ABANDONED)
    const popped = cycle(queue, 2, 2); // meanwhile later laps move the mark on, past position 16
    expect(popped).toEqual(popped.map((_, i) => i + 2));
    const mark = Atomics.load(words, SEQ(0)) - 4;
    expect(publish(words, SEQ(0), 0, CAPACITY, 3, SIGNAL)).toBe(RETRY); // the writer wakes up: given up on
    expect(Atomics.load(words, SEQ(0))).toBe(mark + CAPACITY); // FREE for the lap after the mark
    const next = cycle(queue, 4, 100); // the cell serves again: a full ring of 8 fits once more
    expect(next).toEqual(next.map((_, i) => i + 100));
    for (let item = 0; item < CAPACITY; item++) expect(queue.tryPush(item)).toBe(true);
    expect(queue.tryPush(8)).toBe(false);
  });

  it("publishes normally when nobody gave up on it", () => {
    const { queue, words } = queueWithWords();
    Atomics.store(words, SEQ(0), 3);
    words[SEQ(0) + 1] = 42;
    expect(publish(words, SEQ(0), 0, CAPACITY, 3, SIGNAL)).toBe(PUSHED);
    expect(Atomics.load(words, SIGNAL)).toBe(0); // nobody sleeps: no wake-up
    expect(queue.tryPop()).toBe(42);
  });

  it("wakes the consumers when one marked the cell while the item was being written", () => {
    const { queue, words } = queueWithWords();
    Atomics.store(words, SEQ(0), 3); // pusher(0) is writing
    expect(markWaited(words, 0, CAPACITY)).toBe(true); // a consumer about to sleep marks it
    expect(Atomics.load(words, SEQ(0))).toBe(6); // WRITING_WAITED
    words[SEQ(0) + 1] = 42;
    expect(publish(words, SEQ(0), 0, CAPACITY, 3, SIGNAL)).toBe(PUSHED);
    expect(Atomics.load(words, SIGNAL)).toBe(1); // bumped (and notified)
    expect(queue.tryPop()).toBe(42);
    expect(markWaited(words, 0, CAPACITY)).toBe(true); // the next position: FREE -> WAITED
    expect(Atomics.load(words, SEQ(1))).toBe(1 + 5);
    expect(queue.tryPush(7)).toBe(true); // claims the marked cell, publishes, wakes
    expect(Atomics.load(words, SIGNAL)).toBe(2);
    expect(queue.tryPush(8)).toBe(true); // an unmarked cell: no wake-up
    expect(Atomics.load(words, SIGNAL)).toBe(2);
    expect([queue.tryPop(), queue.tryPop(), queue.tryPop()]).toEqual([7, 8, EMPTY]);
  });

  it("after it lowered the hints (a late store of HEAD or TAIL): the sides walk forward again", () => {
    const { queue, words } = queueWithWords();
    for (let item = 0; item < 5; item++) expect(queue.tryPush(item)).toBe(true);
    for (let item = 0; item < 3; item++) expect(queue.tryPop()).toBe(item);
    Atomics.store(words, HEAD, 0);
    Atomics.store(words, TAIL, 0);
    expect(queue.sizeGuess()).toBe(2); // walks the hints forward too
    for (let item = 5; item < 11; item++) expect(queue.tryPush(item)).toBe(true);
    expect(queue.tryPush(11)).toBe(false); // full: 8 items
    const out: number[] = [];
    for (let item = queue.tryPop(); item !== EMPTY; item = queue.tryPop()) out.push(item);
    expect(out).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const popped = cycle(queue, 4, 20);
    expect(popped).toEqual(popped.map((_, i) => i + 20));
  });

  it("after it revoked an item: pops skip the revoked cell, and its lap goes on", () => {
    const buffer = new SharedArrayBuffer(Queue.byteLength({ capacity: CAPACITY }) + 64);
    const queue = Queue.init(buffer, 0, { capacity: CAPACITY });
    const handle = Queue.byteLength({ capacity: CAPACITY });
    expect(queue.tryPush(4096, handle)).toBe(true);
    expect(queue.revoke(4096, handle)).toBe(true);
    const popped = cycle(queue, 4, 1);
    expect(popped).toEqual(popped.map((_, i) => i + 1));
  });
});
