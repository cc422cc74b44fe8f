/**
 * {@link BagPipe}: a bag (no order) of u32 items sharded over N rings, so that workers spread over different
 * rings instead of all contending for one head and one tail.
 *
 * Layout (32-bit words from the bag's first word `b`; each ring as in ring.ts, PARAM = its first cell number):
 *
 * ```
 *  b +  0                    header line: CAPACITY = cells per ring, PARAM = rings (N),
 *                            CLOSED / SLEEPERS / SIGNAL for the channel, HANDLES = handles opened so far
 *  b + 16                    ring 0  (cells 0 .. capacity - 1)
 *  b + 16 + ringWords        ring 1  (cells capacity .. 2 capacity - 1)
 *  ...                       ring N - 1
 * ```
 *
 * Walking (as the Rust original): the k-th handle opened gets `stride = 2k + 1` and starts at
 * `offset = stride mod N`. An odd stride visits every ring of a power-of-two count, and different handles
 * (workers) start on, and move through, different rings. A handle stays on a ring while it succeeds and moves
 * one stride on when a ring is full, empty or (for pops) contended; pushers racing on one ring take its next
 * positions instead, one each. `tryPush` gives up after `pushFailures + 1` rings
 * (halved on success, raised on failure, as the original); pops report EMPTY after N consecutive empty rings.
 *
 * A revocation handle holds the item's cell number + 1 across all rings (`ring * capacity + cell + 1`); the
 * per-ring protocol (ring.ts) makes revoke and pop race for one CAS, so exactly one of them gets the item.
 *
 * @module
 */
import { Channel } from "./channel.js";
import { STALL_SPINS } from "./queue.js";
import {
  assertItem,
  assertPowerOfTwo,
  CAPACITY,
  type Descriptor,
  EMPTY,
  HANDLES,
  KIND_BAGPIPE,
  KIND_QUEUE,
  LINE,
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

/** Options of {@link BagPipe.create}, {@link BagPipe.init} and {@link BagPipe.byteLength}. */
export interface BagPipeOptions {
  /** Rings: a power of two from 1 to 1024 (default 8; the original uses twice the CPU count). */
  pipes?: number;
  /** Cells per ring: a power of two from 8 to 2^20 (default 1024). */
  capacity?: number;
}

/** The bag's total cells are at most 2^26 (512 MiB of cells). */
export const MAX_BAGPIPE_CELLS = 2 ** 26;

/**
 * A scalable concurrent bag of u32 items: many lock-free FIFO rings walked with per-handle strides.
 * Items are unordered; every pushed item is popped once, revoked, or still in the bag.
 *
 * @example
 * ```ts
 * const bag = BagPipe.create({ pipes: 8, capacity: 1024 });
 * bag.bulkAdd([4096, 8192, 12288]);
 * const other = BagPipe.attach(bag.share()); // in another worker: its own stride
 * other.tryPop(); // one of the three
 * bag.sizeGuess(); // 2 (approximate while others work)
 * ```
 */
export class BagPipe extends Channel {
  /** Rings (a power of two). */
  readonly pipes: number;
  /** Cells per ring. */
  readonly capacity: number;
  readonly #ringWords: number;
  readonly #stride: number;
  #offset: number;
  #pushFailures = 0;
  #stalls = 0;

  private constructor(memory: MemoryLike | WebAssembly.Memory, byteOffset: number) {
    super(memory, byteOffset, KIND_BAGPIPE);
    const i32 = this.view();
    this.capacity = i32[this.base + CAPACITY];
    this.pipes = i32[this.base + PARAM];
    this.#ringWords = ringByteLength(this.capacity) >>> 2;
    const k = Atomics.add(i32, this.base + HANDLES, 1);
    this.#stride = (2 * k + 1) & (2 * this.pipes - 1);
    this.#offset = this.#stride & (this.pipes - 1);
  }

  /** Bytes the region of a bag with these options needs. */
  static byteLength(options: BagPipeOptions = {}): number {
    const { pipes, capacity } = bagShape(options);
    return LINE * 4 + pipes * ringByteLength(capacity);
  }

  /** Writes an empty bag into `memory` at `byteOffset` (a multiple of 4; 64 is best) and returns a handle. */
  static init(memory: MemoryLike, byteOffset: number, options: BagPipeOptions = {}): BagPipe {
    const { pipes, capacity } = bagShape(options);
    const i32 = regionView(memory, byteOffset, BagPipe.byteLength(options));
    const b = byteOffset >>> 2;
    const ringWords = ringByteLength(capacity) >>> 2;
    for (let pipe = 0; pipe < pipes; pipe++) {
      const q = b + LINE + pipe * ringWords;
      initRing(i32, q, capacity);
      writeHeader(i32, q, KIND_QUEUE, capacity, pipe * capacity);
    }
    writeHeader(i32, b, KIND_BAGPIPE, capacity, pipes);
    return new BagPipe(memory, byteOffset);
  }

  /** A new handle (with its own stride) on the bag at `byteOffset`, e.g. in another worker. */
  static open(memory: MemoryLike | WebAssembly.Memory, byteOffset: number): BagPipe {
    return new BagPipe(memory, byteOffset);
  }

  /** A bag in a `SharedArrayBuffer` of its own. */
  static create(options: BagPipeOptions = {}): BagPipe {
    return BagPipe.init(new SharedArrayBuffer(BagPipe.byteLength(options)), 0, options);
  }

  /** A handle on the bag `descriptor` (from {@link BagPipe.share}) describes. */
  static attach(descriptor: Descriptor): BagPipe {
    return new BagPipe(descriptor.memory, descriptor.byteOffset);
  }

  /**
   * Adds `item`, trying a few rings: false when they were full, or the bag is closed (use
   * {@link BagPipe.push} to try every ring). With `handleByteOffset` (a word of the same memory, e.g. a slab
   * header's field), records where the item sits for {@link BagPipe.revoke}.
   */
  tryPush(item: number, handleByteOffset?: number): boolean {
    assertItem(item);
    const handle = this.handleIndex(handleByteOffset);
    const i32 = this.view(handle);
    if (this.isClosed(i32)) return false;
    const mask = this.pipes - 1;
    let pipe = this.#offset;
    for (let tries = Math.min(this.#pushFailures, mask) + 1; tries > 0; tries--) {
      if (this.#pushAt(i32, pipe, item, handle) === PUSHED) {
        this.#pushFailures >>= 1;
        return this.#pushed(pipe);
      }
      pipe = (pipe + this.#stride) & mask;
    }
    this.#offset = pipe;
    this.#pushFailures++;
    return false;
  }

  /** Adds `item`, walking every ring until one takes it: false only when all are full, or the bag is closed. */
  push(item: number, handleByteOffset?: number): boolean {
    assertItem(item);
    const handle = this.handleIndex(handleByteOffset);
    const i32 = this.view(handle);
    const mask = this.pipes - 1;
    let pipe = this.#offset;
    while (!this.isClosed(i32)) {
      let full = 0;
      for (let k = 0; k <= mask; k++) {
        const status = this.#pushAt(i32, pipe, item, handle);
        if (status === PUSHED) return this.#pushed(pipe);
        if (status === FULL_RING) full++;
        pipe = (pipe + this.#stride) & mask;
      }
      if (full === this.pipes) return false;
    }
    return false;
  }

  /** Adds `items[start..end)`, one ring after the other; returns how many were added (all unless full). */
  bulkAdd(items: ArrayLike<number>, start = 0, end = items.length): number {
    for (let i = start; i < end; i++) {
      if (!this.push(items[i])) return i - start;
      this.#offset = (this.#offset + this.#stride) & (this.pipes - 1);
    }
    return end - start;
  }

  /**
   * Takes an item from some ring; {@link EMPTY} after N rings in a row had none to give (empty, or their next
   * item still being written). Not linearizable, as in the original: an item pushed behind the walk can be
   * missed. Passes over a ring whose writer is late count towards taking that writer's position over.
   */
  tryPop(): number {
    const i32 = this.view();
    const mask = this.pipes - 1;
    let pipe = this.#offset;
    let late = false;
    for (let misses = 0; misses < this.pipes; pipe = (pipe + this.#stride) & mask) {
      const item = popOnce(
        i32,
        this.#ring(pipe),
        this.capacity,
        this.#stalls > STALL_SPINS,
        this.base + SIGNAL,
      );
      if (item >= 0) {
        this.#offset = pipe;
        this.#stalls = 0;
        this.lateWriter = false;
        return item;
      }
      if (item === POP_RETRY) {
        misses = 0; // contention: others are making progress here; as the original, start counting again
      } else {
        misses++;
        if (item === POP_STALLED) {
          this.#stalls++;
          late = true;
        }
      }
    }
    this.#offset = pipe;
    this.lateWriter = late;
    if (!late) this.#stalls = 0; // only stalls in a row count towards giving a writer up
    return EMPTY;
  }

  /**
   * Removes `item` in place if it is still where the push with `handleByteOffset` recorded it (true), or
   * reports that a consumer took it (false). Racing with pops, exactly one of them gets the item.
   */
  revoke(item: number, handleByteOffset: number): boolean {
    assertItem(item);
    const handle = this.handleIndex(handleByteOffset);
    const i32 = this.view(handle);
    const cellNumber = (Atomics.load(i32, handle) >>> 0) - 1;
    const pipe = Math.floor(cellNumber / this.capacity);
    if (!(cellNumber >= 0 && pipe < this.pipes)) return false;
    return revokeCell(i32, this.#ring(pipe), this.capacity, cellNumber - pipe * this.capacity, item);
  }

  /**
   * Roughly how many items the bag holds: the sum over rings of pushed minus popped positions, read one ring
   * after the other while others work (revoked items count until a pop skips them). Exact when quiescent.
   */
  sizeGuess(): number {
    const i32 = this.view();
    let size = 0;
    for (let pipe = 0; pipe < this.pipes; pipe++) size += ringSize(i32, this.#ring(pipe), this.capacity);
    return size;
  }

  /** Marks, in every ring, the cell the next item will be published in (see channel.ts). */
  protected override announceSleep(i32: Int32Array): void {
    for (let pipe = 0; pipe < this.pipes; pipe++) markWaited(i32, this.#ring(pipe), this.capacity);
  }

  /** Nothing to undo: a mark left behind costs the next push on that ring one notify. */
  protected override leaveSleep(): void {}

  #ring(pipe: number): number {
    return this.base + LINE + pipe * this.#ringWords;
  }

  /** One push on a ring: PUSHED, FULL_RING, or RETRY (our late write was given up on). */
  #pushAt(i32: Int32Array, pipe: number, item: number, handle: number): number {
    return pushOnce(i32, this.#ring(pipe), this.capacity, item, handle, this.base + SIGNAL);
  }

  #pushed(pipe: number): true {
    this.#offset = pipe;
    return true;
  }
}

function bagShape(options: BagPipeOptions): { pipes: number; capacity: number } {
  const pipes = options.pipes ?? 8;
  const capacity = options.capacity ?? 1024;
  assertPowerOfTwo(pipes, "pipes", 1, 1024);
  assertPowerOfTwo(capacity, "capacity", MIN_RING_CAPACITY, 2 ** 20);
  if (pipes * capacity > MAX_BAGPIPE_CELLS) {
    throw new RangeError(
      `capacity must be at most ${MAX_BAGPIPE_CELLS / pipes} with ${pipes} pipes; got ${capacity}`,
    );
  }
  return { pipes, capacity };
}
