/**
 * {@link Stack}: a lock-free LIFO of u32 items (a Treiber stack) whose ABA protection fits 32-bit Atomics.
 *
 * Layout (32-bit words from the stack's first word `s`):
 *
 * ```
 *  s +  0  header line (see region.ts): CAPACITY = nodes, PARAM = index bits b = log2(capacity) + 1
 *  s + 16  TOP    the item list:      tag (32 - b bits) | node + 1 (b bits; 0 = empty list)
 *  s + 32  FREE   the free-node list: tag | node + 1
 *  s + 48  node 0: NEXT, VALUE | node 1: NEXT, VALUE | ...       NEXT = next node + 1 (0 = end), untagged
 * ```
 *
 * Both lists are Treiber stacks of nodes; a push takes a node from FREE, writes VALUE and links it on TOP; a
 * pop unlinks the top node, reads VALUE and gives the node back to FREE. Each successful CAS of a list head
 * adds 1 to its tag, so a pop that read `(tag, node)` and then `node.NEXT` succeeds only if the head still has
 * that tag: the ABA problem (the node popped, reused and pushed back in between, with another NEXT) can
 * strike only when exactly a multiple of 2^(32 - b) CASes of that list happen while one worker stalls
 * between its load and its CAS: 2^(31 - log2(capacity)), e.g. 2^21 for 1024 nodes and 2^8 at the largest
 * capacity, 2^23 nodes.
 *
 * Memory ordering: VALUE is written with a plain store by the node's owner (who took it from FREE) before the
 * CAS that links it on TOP, and read with a plain load by the popper whose CAS unlinked it, after an atomic
 * load that read that linking CAS (or a later one): sequentially consistent Atomics synchronise, so the read
 * sees the write. NEXT is read with Atomics.load because it races with reuse (the tag check discards it).
 *
 * A worker terminated mid-operation leaks at most the one node it held (the stack holds one item less); its
 * item is either on the stack or popped, never torn (VALUE is one word, published by a CAS).
 *
 * @module
 */
import { Channel } from "./channel.js";
import {
  assertItem,
  assertPowerOfTwo,
  CAPACITY,
  type Descriptor,
  EMPTY,
  KIND_STACK,
  LINE,
  type MemoryLike,
  PARAM,
  regionView,
  writeHeader,
} from "./region.js";

const TOP = LINE;
const FREE = 2 * LINE;
const NODES = 3 * LINE;

/** Options of {@link Stack.create}, {@link Stack.init} and {@link Stack.byteLength}. */
export interface StackOptions {
  /** Nodes: a power of two from 2 to 2^23 (default 1024). The stack holds at most this many items. */
  capacity?: number;
}

/** The largest capacity, 2^23 nodes: keeps at least 8 tag bits. */
export const MAX_STACK_CAPACITY = 2 ** 23;

/**
 * A lock-free LIFO stack of u32 items (all 2^32 values allowed; pops return {@link EMPTY}, -1, when empty).
 *
 * @example
 * ```ts
 * const stack = Stack.create({ capacity: 256 });
 * stack.tryPush(1);
 * stack.tryPush(2);
 * stack.tryPop(); // 2
 * ```
 */
export class Stack extends Channel {
  /** Nodes: the most items the stack holds. */
  readonly capacity: number;
  readonly #indexBits: number;
  readonly #indexMask: number;

  private constructor(memory: MemoryLike | WebAssembly.Memory, byteOffset: number) {
    super(memory, byteOffset, KIND_STACK);
    const i32 = this.view();
    this.capacity = i32[this.base + CAPACITY];
    this.#indexBits = i32[this.base + PARAM];
    this.#indexMask = 2 ** this.#indexBits - 1;
  }

  /** Bytes the region of a stack with these options needs. */
  static byteLength(options: StackOptions = {}): number {
    return (NODES + 2 * stackCapacity(options)) * 4;
  }

  /** Writes an empty stack into `memory` at `byteOffset` (a multiple of 4) and returns a handle. */
  static init(memory: MemoryLike, byteOffset: number, options: StackOptions = {}): Stack {
    const capacity = stackCapacity(options);
    const i32 = regionView(memory, byteOffset, Stack.byteLength(options));
    const s = byteOffset >>> 2;
    i32[s + TOP] = 0;
    i32[s + FREE] = 1; // node 0, tag 0
    for (let node = 0; node < capacity; node++) {
      i32[s + NODES + 2 * node] = node + 1 < capacity ? node + 2 : 0;
      i32[s + NODES + 2 * node + 1] = 0;
    }
    writeHeader(i32, s, KIND_STACK, capacity, Math.log2(capacity) + 1);
    return new Stack(memory, byteOffset);
  }

  /** A new handle on the stack at `byteOffset`, e.g. in another worker. */
  static open(memory: MemoryLike | WebAssembly.Memory, byteOffset: number): Stack {
    return new Stack(memory, byteOffset);
  }

  /** A stack in a `SharedArrayBuffer` of its own. */
  static create(options: StackOptions = {}): Stack {
    return Stack.init(new SharedArrayBuffer(Stack.byteLength(options)), 0, options);
  }

  /** A handle on the stack `descriptor` (from {@link Stack.share}) describes. */
  static attach(descriptor: Descriptor): Stack {
    return new Stack(descriptor.memory, descriptor.byteOffset);
  }

  /** Pushes `item`; false when the stack is full or closed. */
  tryPush(item: number): boolean {
    assertItem(item);
    const i32 = this.view();
    if (this.isClosed(i32)) return false;
    const ref = this.#unlink(i32, this.base + FREE);
    if (ref === 0) return false;
    i32[this.base + NODES + 2 * ref - 1] = item; // VALUE of node ref - 1
    this.#link(i32, this.base + TOP, ref);
    this.wakeOne(i32);
    return true;
  }

  /** Pops the newest item; {@link EMPTY} when the stack is empty. */
  tryPop(): number {
    const i32 = this.view();
    const ref = this.#unlink(i32, this.base + TOP);
    if (ref === 0) return EMPTY;
    const item = i32[this.base + NODES + 2 * ref - 1] >>> 0;
    this.#link(i32, this.base + FREE, ref);
    return item;
  }

  /** Pushes `items[start..end)` in order until one does not fit; returns how many were pushed. */
  pushBulk(items: ArrayLike<number>, start = 0, end = items.length): number {
    for (let i = start; i < end; i++) if (!this.tryPush(items[i])) return i - start;
    return end - start;
  }

  /** Unlinks the first node of the list at word `head`: its number + 1, or 0 when the list is empty. */
  #unlink(i32: Int32Array, head: number): number {
    const bits = this.#indexBits;
    for (;;) {
      const top = Atomics.load(i32, head);
      const ref = top & this.#indexMask;
      if (ref === 0) return 0;
      const next = Atomics.load(i32, this.base + NODES + 2 * (ref - 1));
      if (Atomics.compareExchange(i32, head, top, (((top >>> bits) + 1) << bits) | next) === top) return ref;
    }
  }

  /** Links node `ref - 1` first on the list at word `head`. */
  #link(i32: Int32Array, head: number, ref: number): void {
    const bits = this.#indexBits;
    for (;;) {
      const top = Atomics.load(i32, head);
      Atomics.store(i32, this.base + NODES + 2 * (ref - 1), top & this.#indexMask);
      if (Atomics.compareExchange(i32, head, top, (((top >>> bits) + 1) << bits) | ref) === top) return;
    }
  }
}

function stackCapacity(options: StackOptions): number {
  const capacity = options.capacity ?? 1024;
  assertPowerOfTwo(capacity, "capacity", 2, MAX_STACK_CAPACITY);
  return capacity;
}
