import { MemoryViews } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { BagPipe, EMPTY, Queue, Stack } from "../src/index.js";

describe("Queue", () => {
  it("pops in FIFO order over many laps, and every u32 value is an item", () => {
    const queue = Queue.create({ capacity: 8 });
    const values = [0, 1, 0xffffffff, 0x80000000, 4096, 7, 0x7fffffff, 3];
    for (let lap = 0; lap < 5; lap++) {
      for (const v of values) expect(queue.tryPush(v)).toBe(true);
      expect(queue.tryPush(9)).toBe(false); // full
      expect(queue.sizeGuess()).toBe(8);
      for (const v of values) expect(queue.tryPop()).toBe(v);
      expect(queue.tryPop()).toBe(EMPTY);
    }
  });

  it("interleaves pushes and pops as a FIFO", () => {
    const queue = Queue.create({ capacity: 8 });
    let next = 0;
    let expected = 0;
    for (let step = 0; step < 1000; step++) {
      if (step % 3 !== 2) {
        if (queue.tryPush(next)) next++;
      } else {
        const item = queue.tryPop();
        if (item !== EMPTY) expect(item).toBe(expected++);
      }
    }
    while (queue.tryPop() === expected) expected++;
    expect(expected).toBe(next);
  });

  it("moves items in bulk", () => {
    const queue = Queue.create({ capacity: 16 });
    expect(queue.pushBulk([1, 2, 3, 4, 5], 1, 4)).toBe(3);
    const out = new Uint32Array(8);
    expect(queue.popBulk(out, 2)).toBe(3);
    expect([...out]).toEqual([0, 0, 2, 3, 4, 0, 0, 0]);
    expect(queue.pushBulk(Array.from({ length: 20 }, (_, i) => i))).toBe(16);
  });
});

describe("Stack", () => {
  it("pops in LIFO order and reuses its nodes", () => {
    const stack = Stack.create({ capacity: 4 });
    for (let round = 0; round < 10; round++) {
      for (const v of [10, 0xffffffff, 0, 42]) expect(stack.tryPush(v)).toBe(true);
      expect(stack.tryPush(1)).toBe(false);
      for (const v of [42, 0, 0xffffffff, 10]) expect(stack.tryPop()).toBe(v);
      expect(stack.tryPop()).toBe(EMPTY);
    }
    expect(stack.pushBulk([1, 2, 3])).toBe(3);
    const out: number[] = [];
    expect(stack.popBulk(out, 0, 5)).toBe(3);
    expect(out).toEqual([3, 2, 1]);
  });
});

describe("BagPipe", () => {
  it("returns every item exactly once", () => {
    const bag = BagPipe.create({ pipes: 4, capacity: 8 });
    const items = Array.from({ length: 32 }, (_, i) => (i + 1) * 4096);
    expect(bag.bulkAdd(items)).toBe(32);
    expect(bag.sizeGuess()).toBe(32);
    expect(bag.push(1)).toBe(false); // every ring full
    const got: number[] = [];
    for (let item = bag.tryPop(); item !== EMPTY; item = bag.tryPop()) got.push(item);
    expect(got.sort((a, b) => a - b)).toEqual(items);
    expect(bag.sizeGuess()).toBe(0);
  });

  it("gives each handle its own stride and starting ring", () => {
    const bag = BagPipe.create({ pipes: 8, capacity: 8 });
    const other = BagPipe.attach(bag.share());
    bag.tryPush(1);
    other.tryPush(2);
    // Handle 0 starts on ring 1 (stride 1), handle 1 on ring 3 (stride 3).
    expect(bag.sizeGuess()).toBe(2);
    expect(other.tryPop()).toBe(2);
    expect(bag.tryPop()).toBe(1);
  });

  it("tryPush gives up after a few full rings; push walks all of them", () => {
    const bag = BagPipe.create({ pipes: 4, capacity: 8 });
    const probe = BagPipe.attach(bag.share());
    for (let i = 0; i < 28; i++) expect(bag.push(i)).toBe(true);
    let tried = 0;
    while (probe.tryPush(100 + tried)) tried++;
    expect(tried).toBeLessThanOrEqual(4);
    expect(probe.push(200)).toBe(tried < 4);
  });
});

describe("memory regions", () => {
  it("embeds every structure in a region of a Memory and opens it from its header", () => {
    const memory = new MemoryViews(new SharedArrayBuffer(1 << 16));
    const queue = Queue.init(memory, 64, { capacity: 16 });
    const stackAt = 64 + Queue.byteLength({ capacity: 16 });
    const stack = Stack.init(memory, stackAt, { capacity: 8 });
    const bagAt = stackAt + Stack.byteLength({ capacity: 8 });
    const bag = BagPipe.init(memory, bagAt, { pipes: 2, capacity: 8 });
    expect(bagAt + BagPipe.byteLength({ pipes: 2, capacity: 8 })).toBeLessThan(1 << 16);
    queue.tryPush(5);
    stack.tryPush(6);
    bag.tryPush(7);
    expect(Queue.open(memory.buffer, 64).tryPop()).toBe(5);
    expect(Stack.open(memory, stackAt).capacity).toBe(8);
    expect(Stack.open(memory, stackAt).tryPop()).toBe(6);
    const opened = BagPipe.open(memory, bagAt);
    expect([opened.pipes, opened.capacity, opened.tryPop()]).toEqual([2, 8, 7]);
    expect(() => Stack.open(memory, 64)).toThrow(/byteOffset must address an initialised Stack/);
  });

  it("re-reads the view after a non-shared WebAssembly.Memory grows and detaches its buffer", () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const memory = new MemoryViews(wasm);
    const queue = Queue.init(memory, 128, { capacity: 8 });
    const bag = BagPipe.init(memory, 4096, { pipes: 2, capacity: 8 });
    queue.tryPush(1);
    bag.tryPush(4096, 64);
    const before = wasm.buffer;
    wasm.grow(1);
    expect(before.byteLength).toBe(0); // detached
    expect(queue.tryPush(2)).toBe(true);
    expect([queue.tryPop(), queue.tryPop()]).toEqual([1, 2]);
    // The revocation handle may also lie in memory added by the growth.
    expect(bag.tryPush(8192, 65536 + 64)).toBe(true);
    expect(bag.revoke(8192, 65536 + 64)).toBe(true);
    expect(bag.revoke(4096, 64)).toBe(true);
    expect(bag.tryPop()).toBe(EMPTY);
  });

  it("works in the last bytes of a 4 GiB buffer (a length of 2^32 must not wrap to 0)", (context) => {
    let buffer: ArrayBuffer;
    try {
      buffer = new ArrayBuffer(2 ** 32); // zero pages, committed lazily by the system
    } catch {
      return context.skip(); // a system that cannot reserve 4 GiB
    }
    const at = 2 ** 32 - Queue.byteLength({ capacity: 8 });
    const queue = Queue.init(buffer, at, { capacity: 8 });
    expect(queue.tryPush(9, 2 ** 32 - 4096 * 4)).toBe(true);
    expect(Queue.open(buffer, at).tryPop()).toBe(9);
  });

  it("shares and attaches only shared memory", () => {
    const queue = Queue.init(new ArrayBuffer(4096), 0, { capacity: 8 });
    expect(() => queue.share()).toThrow(TypeError);
    const shared = Queue.create({ capacity: 8 });
    const descriptor = shared.share();
    expect(structuredClone(descriptor).byteOffset).toBe(0);
    shared.tryPush(3);
    expect(Queue.attach(structuredClone(descriptor)).tryPop()).toBe(3);
  });
});

describe("bad input", () => {
  it("rejects items that are not u32 with a RangeError naming the argument, and changes nothing", () => {
    const queue = Queue.create({ capacity: 8 });
    const stack = Stack.create({ capacity: 4 });
    const bag = BagPipe.create({ pipes: 2, capacity: 8 });
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => queue.tryPush(bad)).toThrow(/^item must be an integer from 0 to 4294967295/);
      expect(() => stack.tryPush(bad)).toThrow(RangeError);
      expect(() => bag.tryPush(bad)).toThrow(RangeError);
      expect(() => bag.push(bad)).toThrow(RangeError);
      expect(() => bag.revoke(bad, 0)).toThrow(RangeError);
    }
    expect([queue.sizeGuess(), stack.tryPop(), bag.sizeGuess()]).toEqual([0, EMPTY, 0]);
  });

  it("rejects capacities, ring counts, offsets and handles out of range", () => {
    for (const capacity of [0, 2, 4, 6, 2 ** 27, 1.5]) {
      expect(() => Queue.create({ capacity })).toThrow(/^capacity must be a power of two from 8/);
    }
    expect(() => Stack.create({ capacity: 2 ** 24 })).toThrow(/^capacity/);
    expect(() => Stack.create({ capacity: 1 })).toThrow(/^capacity/);
    expect(() => BagPipe.create({ pipes: 3 })).toThrow(/^pipes must be a power of two/);
    expect(() => BagPipe.create({ pipes: 1024, capacity: 2 ** 20 })).toThrow(/^capacity must be at most/);
    const buffer = new SharedArrayBuffer(1024);
    expect(() => Queue.init(buffer, 2, { capacity: 8 })).toThrow(/^byteOffset must be a multiple of 4/);
    expect(() => Queue.init(buffer, 1000, { capacity: 8 })).toThrow(/^byteOffset must leave/);
    const queue = Queue.init(buffer, 0, { capacity: 8 });
    expect(() => queue.tryPush(1, 1025)).toThrow(/^handleByteOffset/);
    expect(() => queue.tryPush(1, 4096)).toThrow(/^handleByteOffset must be inside the memory/);
    expect(queue.sizeGuess()).toBe(0);
    expect(() => queue.pop({ timeout: -1 })).toThrow(/^timeout/);
  });
});
