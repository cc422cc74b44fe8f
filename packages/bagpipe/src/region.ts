/**
 * Where a structure lives: a region of a buffer or of an object-alloc `Memory`, its header words, the
 * descriptor other workers attach with, and the validation every structure shares.
 *
 * Every structure starts with one 64-byte header line of 32-bit words:
 *
 * ```
 *  word  0 MAGIC      identifies bagpipe structures and their kind (open() checks it)
 *  word  1 CAPACITY   cells (queue), nodes (stack) or cells per sub-queue (BagPipe)
 *  word  2 PARAM      kind-specific: cell number base (queue), index bits (stack), sub-queues (BagPipe)
 *  word  3 CLOSED     1 once close() ran: pushes fail, blocked pops return
 *  word  4 SLEEPERS   Stack: consumers between "announce sleep" and "woke up" (pushes notify only if > 0);
 *                     rings mark cells instead (see channel.ts)
 *  word  5 SIGNAL     futex word: bumped by producers that saw sleepers, waited on by consumers
 *  word  6 HANDLES    handles opened so far (BagPipe: gives each handle its stride)
 *  words 7-15         reserved (zero)
 * ```
 *
 * @module
 */
import { type Memory, MemoryViews } from "@allocators/object-alloc";

/** Words per 64-byte line: hot shared words get a line each so that they do not share a cache line. */
export const LINE = 16;

export const MAGIC = 0;
export const CAPACITY = 1;
export const PARAM = 2;
export const CLOSED = 3;
export const SLEEPERS = 4;
export const SIGNAL = 5;
export const HANDLES = 6;

/** The kinds of structure, stored in the MAGIC word (0xba9 in the high bits, the kind in the low byte). */
export const KIND_QUEUE = 0x0ba90001;
export const KIND_STACK = 0x0ba90002;
export const KIND_BAGPIPE = 0x0ba90003;

/** Returned by every pop when there is no item. Not a u32, so no item value is reserved for it. */
export const EMPTY = -1;

/**
 * What a worker needs to attach to a structure: structured-clonable (a `SharedArrayBuffer` or a shared
 * `WebAssembly.Memory`, and the byte offset of the structure's region in it).
 */
export interface Descriptor {
  readonly memory: SharedArrayBuffer | WebAssembly.Memory;
  readonly byteOffset: number;
}

/** A buffer, or an object-alloc `Memory` whose `i32` view is current. */
export type MemoryLike = ArrayBufferLike | Memory;

function isMemory(memory: MemoryLike | WebAssembly.Memory): memory is Memory {
  return typeof (memory as Memory).i32 === "object";
}

/**
 * The view cache of `memory`: itself when it is a `Memory`, else object-alloc's `MemoryViews` over the buffer
 * or the `WebAssembly.Memory` (whose current `buffer` it reads), which alone decides when to remake its views.
 */
function viewsOf(memory: MemoryLike | WebAssembly.Memory): Memory {
  return isMemory(memory) ? memory : new MemoryViews(memory);
}

/**
 * A handle on a structure in some memory: it keeps the memory (not only a view) so that, when an unshared
 * `WebAssembly.Memory` grows and detaches the old buffer (a detached view has length 0), the next call
 * re-reads the view instead of failing.
 */
export abstract class Region {
  readonly #memory: MemoryLike | WebAssembly.Memory;
  /** The byte offset of the region in the memory. */
  readonly byteOffset: number;
  /** The region's first word: `byteOffset / 4`. */
  protected readonly base: number;
  /** The view cache of the memory, asked again when `#i32` no longer serves (see {@link Region.view}). */
  readonly #views: Memory;
  /** The last view `#views` handed out. */
  #i32: Int32Array;
  /** The memory when it is an unshared `WebAssembly.Memory`, whose growth detaches the buffer. */
  readonly #detaching: WebAssembly.Memory | undefined;

  protected constructor(memory: MemoryLike | WebAssembly.Memory, byteOffset: number, kind: number) {
    assertByteOffset(byteOffset, 0);
    this.#memory = memory;
    const unshared = memory instanceof WebAssembly.Memory && !(memory.buffer instanceof SharedArrayBuffer);
    this.#detaching = unshared ? memory : undefined;
    this.byteOffset = byteOffset;
    this.base = byteOffset >>> 2;
    this.#views = viewsOf(memory);
    this.#i32 = this.#views.i32;
    // An atomic load of MAGIC: it reads init()'s atomic store, so the header words before it are visible.
    if (this.#i32.length < this.base + LINE || Atomics.load(this.#i32, this.base + MAGIC) !== kind) {
      throw new RangeError(`byteOffset must address an initialised ${kindName(kind)}; got ${byteOffset}`);
    }
  }

  /**
   * The current view. Hot paths call this once per operation: one length check, and a re-read of the
   * memory's view only after a detach (or when `index` lies beyond a view taken before the memory grew).
   */
  protected view(index = 0): Int32Array {
    const memory = this.#memory;
    // A `Memory` keeps its own views current (object-alloc's MemoryViews): ask it every time.
    if (isMemory(memory)) return memory.i32;
    const i32 = this.#i32;
    if (i32.length > index && i32.length > 0 && !this.#replaced(i32)) return i32;
    this.#i32 = this.#views.i32;
    return this.#i32;
  }

  /**
   * Whether an unshared `WebAssembly.Memory` replaced the buffer under `i32`, checked by identity: V8's
   * optimized code was seen reading the old length of a view whose memory had grown and detached it (Atomics
   * on that view then threw), so a length of 0 is not a reliable sign. A shared memory's old views stay valid,
   * and the length test above covers its growth without reading `memory.buffer` on every operation.
   */
  #replaced(i32: Int32Array): boolean {
    return this.#detaching !== undefined && i32.buffer !== this.#detaching.buffer;
  }

  /**
   * The word index of a revocation handle, or -1 without one: `RangeError` unless it is a word of the memory.
   */
  protected handleIndex(handleByteOffset: number | undefined): number {
    if (handleByteOffset === undefined) return -1;
    assertByteOffset(handleByteOffset, 0, "handleByteOffset");
    const index = handleByteOffset >>> 2;
    if (index >= this.view(index).length) {
      throw new RangeError(`handleByteOffset must be inside the memory; got ${handleByteOffset}`);
    }
    return index;
  }

  /** A structured-clonable descriptor for `attach` in another worker. Needs shared memory. */
  share(): Descriptor {
    const memory = this.#memory;
    const shared = memory instanceof WebAssembly.Memory ? memory : isMemory(memory) ? memory.buffer : memory;
    const buffer = shared instanceof WebAssembly.Memory ? shared.buffer : shared;
    if (!(typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer)) {
      throw new TypeError("share() needs the structure to live in shared memory (a SharedArrayBuffer)");
    }
    return { memory: shared as SharedArrayBuffer | WebAssembly.Memory, byteOffset: this.byteOffset };
  }
}

/** Writes the common header words of a fresh region. */
export function writeHeader(
  i32: Int32Array,
  base: number,
  kind: number,
  capacity: number,
  param: number,
): void {
  i32.fill(0, base, base + LINE);
  i32[base + CAPACITY] = capacity;
  i32[base + PARAM] = param;
  // MAGIC last, with a store that publishes the words before it to any worker that later checks it.
  Atomics.store(i32, base + MAGIC, kind);
}

/** Checks that `[byteOffset, byteOffset + byteLength)` fits in `memory` and returns its view. */
export function regionView(memory: MemoryLike | WebAssembly.Memory, byteOffset: number, byteLength: number) {
  assertByteOffset(byteOffset, 0);
  const i32 = viewsOf(memory).i32;
  if (byteOffset + byteLength > i32.length * 4) {
    throw new RangeError(
      `byteOffset must leave ${byteLength} bytes for the structure in a memory of ${i32.length * 4} bytes; got ${byteOffset}`,
    );
  }
  return i32;
}

function kindName(kind: number): string {
  return kind === KIND_QUEUE ? "Queue" : kind === KIND_STACK ? "Stack" : "BagPipe";
}

/** `RangeError` unless `value` is an integer multiple of 4 (a word address), at least `min`. */
export function assertByteOffset(value: number, min: number, name = "byteOffset"): void {
  if (!(Number.isInteger(value) && value >= min && value < 2 ** 32 && value % 4 === 0)) {
    throw new RangeError(`${name} must be a multiple of 4 from ${min} to 2^32 - 4; got ${String(value)}`);
  }
}

/** `RangeError` unless `item` is a u32: an integer from 0 to 2^32 - 1 (no item value is reserved). */
export function assertItem(item: number): void {
  // `item >>> 0` is the u32 that `item` converts to: equal to it exactly for the integers in [0, 2^32).
  if (item >>> 0 !== item) {
    throw new RangeError(`item must be an integer from 0 to 4294967295; got ${String(item)}`);
  }
}

/** `RangeError` unless `value` is a power of two in `[min, max]`. */
export function assertPowerOfTwo(value: number, name: string, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max && (value & (value - 1)) === 0)) {
    throw new RangeError(`${name} must be a power of two from ${min} to ${max}; got ${String(value)}`);
  }
}
