/**
 * The thread table: one entry per thread slot, in the heap root, which binds a handle to its thread record and
 * lets a parent reclaim the caches of a worker that ended without detaching.
 *
 * Entry of slot `s`, at i32 index `root + R_THREADS + s * THREAD_WORDS`:
 * ```
 * +0 state    FREE --attach--> LIVE --detach / reclaimThread--> CLOSING --caches returned--> FREE   (Atomics)
 *             FREE --shareThread--> RESERVED --attach with descriptor.slot--> LIVE
 *                                  RESERVED --reclaimThread--> FREE
 * +1 record   byte offset of the slot's thread record (0: none yet): allocated by the slot's first thread,
 *             kept for the next ones
 * +2 holder   the address-space lock-holder id of the slot's thread, to recover the lock if it dies holding it
 * ```
 * Whoever moves a state with a compare-exchange owns the slot's record and holder words until it stores the
 * next state.
 *
 * @module
 */
import { BsAlloc } from "@allocators/bsalloc";
import { NULL } from "@allocators/object-alloc";
import type { HandleContext } from "./handle-context.js";
import { R_MAX_THREADS, R_META_ROOT, R_THREADS, THREAD_WORDS } from "./heap-root.js";
import { RECORD_BYTES } from "./thread-cache.js";

/** Slot states (see the diagram above). */
export const SLOT_FREE = 0;
/** Reserved by `shareThread()` for a worker that has not attached yet. */
export const SLOT_RESERVED = 1;
export const SLOT_LIVE = 2;
/** Being reclaimed or detached: its caches are being returned. */
export const SLOT_CLOSING = 3;

/** Word offsets in a thread table entry. */
const STATE = 0;
const RECORD = 1;
const HOLDER = 2;

/** The thread table of one heap, seen from one handle. */
export class ThreadTable {
  readonly #ctx: HandleContext;
  /** The bootstrap allocator thread records come from. */
  readonly #meta: BsAlloc;

  constructor(ctx: HandleContext) {
    this.#ctx = ctx;
    this.#meta = BsAlloc.open(ctx.space, ctx.i32[ctx.rootIndex + R_META_ROOT]);
  }

  /** How many slots the table has. */
  get maxThreads(): number {
    return Atomics.load(this.#ctx.i32, this.#ctx.rootIndex + R_MAX_THREADS);
  }

  /**
   * Binds the handle to a slot with a record: the `reserved` one, or any free one. Sets the context's `slot`
   * and `rec`.
   * @throws RangeError when `reserved` is not reserved, when every slot is taken, or when no record fits.
   */
  bind(reserved: number | undefined): void {
    const ctx = this.#ctx;
    const slot = reserved ?? this.#takeSlot(SLOT_LIVE);
    const entry = this.#entryIndex(slot);
    if (
      reserved !== undefined &&
      Atomics.compareExchange(ctx.i32, entry + STATE, SLOT_RESERVED, SLOT_LIVE) !== SLOT_RESERVED
    ) {
      throw new RangeError(`descriptor.slot ${reserved} is not reserved (already attached or reclaimed)`);
    }
    let record = ctx.i32[entry + RECORD];
    if (record === 0) {
      record = this.#meta.allocZeroed(RECORD_BYTES, 64);
      if (record === NULL) {
        Atomics.store(ctx.i32, entry + STATE, SLOT_FREE);
        throw new RangeError("the heap has no memory left for a thread record");
      }
      ctx.sync();
      ctx.i32[entry + RECORD] = record;
    }
    // The address-space lock names its holder: reclaimThread() needs it to recover the lock if this thread
    // dies holding it.
    ctx.i32[entry + HOLDER] = ctx.space.holder;
    ctx.slot = slot;
    ctx.rec = record >>> 2;
  }

  /**
   * Reserves a free slot for a worker that will attach with it.
   * @throws RangeError when every slot is taken.
   */
  reserve(): number {
    return this.#takeSlot(SLOT_RESERVED);
  }

  /** Marks the live `slot` closing: its caches are being returned. */
  close(slot: number): void {
    Atomics.store(this.#ctx.i32, this.#entryIndex(slot) + STATE, SLOT_CLOSING);
  }

  /** Frees the closing `slot` for the next thread (its record stays, for that thread). */
  release(slot: number): void {
    Atomics.store(this.#ctx.i32, this.#entryIndex(slot) + STATE, SLOT_FREE);
  }

  /**
   * Closes the slot of a thread that ended without detaching, and recovers the address space's lock if the
   * thread died holding it. Returns the u32 index of its record, whose caches the caller returns before
   * {@link ThreadTable.release}; or -1 when the slot held no attached thread (a reserved slot is freed).
   */
  closeEnded(slot: number): number {
    const i32 = this.#ctx.i32;
    const entry = this.#entryIndex(slot);
    if (Atomics.compareExchange(i32, entry + STATE, SLOT_RESERVED, SLOT_FREE) === SLOT_RESERVED) return -1;
    if (Atomics.compareExchange(i32, entry + STATE, SLOT_LIVE, SLOT_CLOSING) !== SLOT_LIVE) return -1;
    this.#ctx.space.recover(i32[entry + HOLDER]);
    return i32[entry + RECORD] >>> 2;
  }

  /** Finds a free slot and moves it to `state`; a RangeError when all are taken. */
  #takeSlot(state: number): number {
    const max = this.#ctx.i32[this.#ctx.rootIndex + R_MAX_THREADS];
    for (let slot = 0; slot < max; slot++) {
      if (Atomics.compareExchange(this.#ctx.i32, this.#entryIndex(slot), SLOT_FREE, state) === SLOT_FREE)
        return slot;
    }
    throw new RangeError(`all ${max} thread slots of the heap are taken (maxThreads)`);
  }

  /** i32 index of the entry of `slot`. */
  #entryIndex(slot: number): number {
    return this.#ctx.rootIndex + R_THREADS + slot * THREAD_WORDS;
  }
}
