/**
 * {@link Queue}: a bounded lock-free multi-producer multi-consumer FIFO of u32 items, in a region of shared
 * memory, usable as a channel. The algorithm and its safety argument are in ring.ts.
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
  KIND_QUEUE,
  type MemoryLike,
  PARAM,
  regionView,
  SIGNAL,
  writeHeader,
} from "./region.js";
import {
  FULL_RING,
  initRing,
  MIN_RING_CAPACITY,
  markWaited,
  POP_RETRY,
  POP_STALLED,
  PUSHED,
  popOnce,
  pushOnce,
  revokeCell,
  ringByteLength,
  ringSize,
} from "./ring.js";

/** Options of {@link Queue.create}, {@link Queue.init} and {@link Queue.byteLength}. */
export interface QueueOptions {
  /** Cells: a power of two from 8 to 2^26 (default 1024). The queue holds at most this many items. */
  capacity?: number;
}

/** The largest capacity: 2^26 cells (512 MiB). */
export const MAX_QUEUE_CAPACITY = 2 ** 26;

/**
 * How many pops in a row that find the same writer late are answered EMPTY before the next one gives up on
 * that writer (its position is skipped, and its push is made again elsewhere if it was only late). Long
 * enough that a writer merely between two instructions finishes; short enough that a terminated one costs
 * a few microseconds.
 */
export const STALL_SPINS = 1024;

/**
 * A bounded lock-free MPMC FIFO queue of u32 items (all 2^32 values are allowed; pops return {@link EMPTY},
 * -1, when there is none).
 *
 * @example
 * ```ts
 * const queue = Queue.create({ capacity: 1024 });
 * queue.tryPush(42);
 * worker.postMessage(queue.share()); // the worker calls Queue.attach(descriptor)
 * queue.tryPop(); // 42, or EMPTY if the worker took it
 * ```
 */
export class Queue extends Channel {
  /** Cells: the most items the queue holds. */
  readonly capacity: number;
  #popStalls = 0;

  private constructor(memory: MemoryLike | WebAssembly.Memory, byteOffset: number) {
    super(memory, byteOffset, KIND_QUEUE);
    this.capacity = this.view()[this.base + CAPACITY];
  }

  /** Bytes the region of a queue with these options needs. */
  static byteLength(options: QueueOptions = {}): number {
    return ringByteLength(queueCapacity(options));
  }

  /** Writes an empty queue into `memory` at `byteOffset` (a multiple of 4; 64 is best) and returns a handle. */
  static init(memory: MemoryLike, byteOffset: number, options: QueueOptions = {}): Queue {
    const capacity = queueCapacity(options);
    const i32 = regionView(memory, byteOffset, ringByteLength(capacity));
    const q = byteOffset >>> 2;
    initRing(i32, q, capacity);
    writeHeader(i32, q, KIND_QUEUE, capacity, 0);
    return new Queue(memory, byteOffset);
  }

  /** A new handle on the queue at `byteOffset`, e.g. in another worker; reads the capacity from its header. */
  static open(memory: MemoryLike | WebAssembly.Memory, byteOffset: number): Queue {
    return new Queue(memory, byteOffset);
  }

  /** A queue in a `SharedArrayBuffer` of its own. */
  static create(options: QueueOptions = {}): Queue {
    return Queue.init(new SharedArrayBuffer(Queue.byteLength(options)), 0, options);
  }

  /** A handle on the queue `descriptor` (from {@link Queue.share}) describes. */
  static attach(descriptor: Descriptor): Queue {
    return new Queue(descriptor.memory, descriptor.byteOffset);
  }

  /**
   * Appends `item`; false when the queue is full or closed. With `handleByteOffset` (a word of the same
   * memory, e.g. a slab header's field), records where the item sits so that {@link Queue.revoke} can remove it.
   */
  tryPush(item: number, handleByteOffset?: number): boolean {
    assertItem(item);
    const handle = this.handleIndex(handleByteOffset);
    const i32 = this.view(handle);
    if (this.isClosed(i32)) return false;
    for (;;) {
      const status = pushOnce(i32, this.base, this.capacity, item, handle, this.base + SIGNAL);
      if (status === PUSHED) return true;
      if (status === FULL_RING) return false;
      // RETRY: the poppers gave up on this push while it was late; it is made again at a later position.
    }
  }

  /**
   * Removes the oldest item; {@link EMPTY} when there is none, or when the oldest position's push is still
   * being written (it is not in yet; as in Vyukov's queue, items behind it wait for it). Calls in a row that
   * find the same writer late give its position up after {@link STALL_SPINS}, so a terminated producer
   * never blocks the queue; blocking pops keep calling while a writer is late.
   */
  tryPop(): number {
    const i32 = this.view();
    for (;;) {
      const item = popOnce(i32, this.base, this.capacity, this.#popStalls > STALL_SPINS, this.base + SIGNAL);
      if (item === POP_STALLED) {
        this.#popStalls++;
        this.lateWriter = true;
        return EMPTY;
      }
      if (item !== POP_RETRY) {
        if (this.#popStalls !== 0) {
          this.#popStalls = 0;
          this.lateWriter = false;
        }
        return item;
      }
    }
  }

  /** Pushes `items[start..end)` in order until one does not fit; returns how many were pushed. */
  pushBulk(items: ArrayLike<number>, start = 0, end = items.length): number {
    for (let i = start; i < end; i++) if (!this.tryPush(items[i])) return i - start;
    return end - start;
  }

  /**
   * Removes `item` in place if it is still in the queue where the push with `handleByteOffset` recorded it
   * (true), or reports that a consumer took it (false). Racing with pops, exactly one of them gets the item.
   */
  revoke(item: number, handleByteOffset: number): boolean {
    assertItem(item);
    const handle = this.handleIndex(handleByteOffset);
    const i32 = this.view(handle);
    const cell = (Atomics.load(i32, handle) >>> 0) - 1 - i32[this.base + PARAM];
    if (!(cell >= 0 && cell < this.capacity)) return false;
    return revokeCell(i32, this.base, this.capacity, cell, item);
  }

  /** Marks the cell the next item will be published in: its push wakes the sleepers (see channel.ts). */
  protected override announceSleep(i32: Int32Array): void {
    markWaited(i32, this.base, this.capacity);
  }

  /** Nothing to undo: a mark left behind costs the next push one notify. */
  protected override leaveSleep(): void {}

  /** Items in the queue (revoked ones until they are skipped): approximate while others push and pop. */
  sizeGuess(): number {
    return ringSize(this.view(), this.base, this.capacity);
  }
}

function queueCapacity(options: QueueOptions): number {
  const capacity = options.capacity ?? 1024;
  assertPowerOfTwo(capacity, "capacity", MIN_RING_CAPACITY, MAX_QUEUE_CAPACITY);
  return capacity;
}
