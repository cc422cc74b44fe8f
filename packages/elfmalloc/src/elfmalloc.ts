/**
 * ElfMalloc: the heap handle a worker allocates through, and the facade over the heap's layers.
 *
 * The fast paths of malloc and free are here, whole: a block from, or back to, this thread's magazine with no
 * call. Every other path goes down the layers and never comes back up (each file is named after its concept):
 * ```
 * elfmalloc.ts        create / attach / share, the C API and Alloc, the fast paths
 *   heap-layout.ts  thread-table.ts  slow-paths.ts (routing by size and kind, the out-of-memory retry)
 *     small-blocks.ts  medium-blocks.ts  large-blocks.ts  checked.ts
 *       thread-cache.ts  page-pools.ts
 *         slab.ts  available-slabs.ts  medium-chunk.ts  medium-index.ts  page-map.ts  size-classes.ts
 *         heap-root.ts
 * handle-context.ts: what the layers of one handle share (its views, root, page map, slot and record)
 * ```
 *
 * @module
 */

import { AddressSpace } from "@allocators/mmap-alloc";
import {
  type Alloc,
  assertAlign,
  assertSize,
  type BlockOwner,
  MAX_SIZE,
  type Memory,
  NULL,
  nextPowerOfTwo,
  type Ptr,
} from "@allocators/object-alloc";
import { checkHeap } from "./check.js";
import { DETACHED, HandleContext } from "./handle-context.js";
import { createHeap, type ElfMallocDescriptor, type ElfMallocOptions } from "./heap-layout.js";
import { MEDIUM_MAX, MEDIUM_MIN, UNIT } from "./medium-chunk.js";
import { GRANULE_SHIFT, KIND_MASK, KIND_SLAB, pointerMask } from "./page-map.js";
import { CLASS_COUNT, classOf, MAX_SMALL, MIN_BLOCK, SMALL_LOOKUP, TABLE_LIMIT } from "./size-classes.js";
import { SlowPaths } from "./slow-paths.js";
import { type HeapSnapshot, heapSnapshot } from "./snapshot.js";
import { type ElfMallocStats, heapStats } from "./stats.js";
import { openMagazines } from "./thread-cache.js";
import { ThreadTable } from "./thread-table.js";

/** The typed arrays {@link ElfMalloc.mallocAs} can allocate. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/**
 * A scalable malloc shared by many workers (see the package README for the design and guarantees).
 *
 * Each worker holds its own `ElfMalloc` handle on the same heap: {@link ElfMalloc.create} in one,
 * {@link ElfMalloc.attach} with the descriptor of {@link ElfMalloc.share} in the others. A handle is bound to
 * the thread that made it: never send the handle itself, send a descriptor.
 */
export class ElfMalloc implements Alloc, BlockOwner, Disposable {
  /** What this handle's layers share: views, root, page map, thread slot and record. */
  readonly #ctx: HandleContext;
  readonly #threads: ThreadTable;
  readonly #slow: SlowPaths;
  /**
   * The context's `u32` for the fast paths, which must not pay a load through the context: taken again at the
   * end of every slow path that may have synced it (a stale copy only sends the fast paths to a slow path).
   */
  #u32: Uint32Array = DETACHED;
  /** u32 index of the page map. */
  readonly #mapIndex: number = 0;
  /** See {@link pointerMask}. */
  readonly #ptrMask: number = 0;
  /**
   * u32 index of the magazine `count` of each class, and of the magazine serving each size up to
   * `TABLE_LIMIT` (by `(size + 15) >> 4`), for the fast paths: the limit is the word before a count, the
   * items follow it. In checked mode all point to the record's closed magazine (thread-cache.ts).
   */
  readonly #countByClass = new Int32Array(CLASS_COUNT);
  readonly #countBySize = new Int32Array(SMALL_LOOKUP.length);

  private constructor(space: AddressSpace, root: number, slot: number | undefined) {
    const ctx = new HandleContext(space, root);
    this.#ctx = ctx;
    this.#mapIndex = ctx.map >>> 2;
    this.#ptrMask = pointerMask(space.maxBytes);
    this.#threads = new ThreadTable(ctx);
    this.#slow = new SlowPaths(ctx);
    this.#threads.bind(slot);
    openMagazines(ctx.u32, ctx.rec, ctx.checked, this.#countByClass, this.#countBySize);
    this.#u32 = ctx.u32;
  }

  /**
   * A new heap over a new address space, attached to the calling thread.
   * @throws RangeError naming the option that is invalid.
   */
  static create(options: ElfMallocOptions): ElfMalloc {
    const { space, root } = createHeap(options);
    return new ElfMalloc(space, root, undefined);
  }

  /** A handle on the heap of `descriptor` for the calling thread (any worker). */
  static attach(descriptor: ElfMallocDescriptor): ElfMalloc {
    return new ElfMalloc(AddressSpace.attach(descriptor.space), descriptor.root, descriptor.slot);
  }

  /** A descriptor any worker can attach with; it takes a free thread slot when it attaches. */
  share(): ElfMallocDescriptor {
    return { space: this.#ctx.space.share(), root: this.#ctx.root };
  }

  /**
   * A descriptor with a thread slot reserved for one worker, so that the parent can call
   * {@link ElfMalloc.reclaimThread} with `descriptor.slot` from the worker's `'exit'` handler.
   * @returns the descriptor, or throws a RangeError when every slot is taken.
   */
  shareThread(): ElfMallocDescriptor & { slot: number } {
    return { ...this.share(), slot: this.#threads.reserve() };
  }

  /** This thread's slot: its id for {@link ElfMalloc.reclaimThread}. */
  get threadId(): number {
    return this.#ctx.slot;
  }

  /** The heap's memory; its views stay current as the heap grows. */
  get memory(): Memory {
    return this.#ctx.space;
  }
  get buffer(): ArrayBufferLike {
    return this.#ctx.space.buffer;
  }
  get u8(): Uint8Array {
    return this.#ctx.space.u8;
  }
  get i32(): Int32Array {
    return this.#ctx.space.i32;
  }
  get u32(): Uint32Array {
    return this.#ctx.space.u32;
  }
  get f32(): Float32Array {
    return this.#ctx.space.f32;
  }
  get f64(): Float64Array {
    return this.#ctx.space.f64;
  }
  get view(): DataView {
    return this.#ctx.space.view;
  }
  /** The address space the heap lives in. */
  get space(): AddressSpace {
    return this.#ctx.space;
  }
  /** True in checked mode. */
  get checked(): boolean {
    return this.#ctx.checked;
  }

  /**
   * At least `size` bytes aligned to 16, or 0 when out of memory.
   * @throws RangeError for a size that is negative, fractional, NaN or above 2^32.
   */
  malloc(size: number): Ptr {
    // The fast path: a size the lookup table covers, whose magazine holds a block. Kept this small (in
    // bytecodes, which V8's inlining budget counts) so that V8 inlines malloc and free together into a caller.
    if (size <= TABLE_LIMIT && size >>> 0 === size) {
      const u32 = this.#u32;
      const count = this.#countBySize[(size + MIN_BLOCK - 1) >>> 4];
      const n = u32[count] - 1;
      if (n >= 0) {
        u32[count] = n;
        return u32[count + 1 + n];
      }
    }
    return this.#mallocSlow(size);
  }

  /**
   * Returns the block at `ptr` (from any worker); `free(0)` does nothing.
   * @throws RangeError for a pointer that is not a block of this heap (in checked mode also for double frees
   * and interior pointers).
   */
  free(ptr: Ptr): void {
    // The fast path: an aligned pointer into a slab, whose class's magazine has room (see malloc).
    if ((ptr & this.#ptrMask) >>> 0 === ptr) {
      const u32 = this.#u32;
      const e = this.#mapIndex + ((ptr >>> GRANULE_SHIFT) << 1);
      if ((u32[e] & KIND_MASK) === KIND_SLAB) {
        const count = this.#countByClass[u32[e + 1]];
        const n = u32[count];
        if (n < u32[count - 1]) {
          u32[count + 1 + n] = ptr;
          u32[count] = n + 1;
          return;
        }
      }
    }
    this.#freeSlow(ptr);
  }

  /**
   * `n * size` zeroed bytes, or 0 when out of memory or when `n * size` exceeds 2^32 (C's overflow rule).
   * @throws RangeError naming `n` or `size` when either is negative, fractional or NaN.
   */
  calloc(n: number, size: number): Ptr {
    assertSize(n, "n");
    assertSize(size);
    const bytes = n * size;
    if (bytes > MAX_SIZE) return NULL;
    return this.#zeroed(this.malloc(bytes), bytes);
  }

  /**
   * Resizes the block at `ptr` to `size` bytes, keeping its contents and its alignment (`align`, default 16);
   * `realloc(0, n)` is `malloc(n)`. Returns 0 when out of memory, leaving the old block untouched.
   */
  realloc(ptr: Ptr, size: number, align = MIN_BLOCK): Ptr {
    assertSize(size);
    assertAlign(align);
    if (ptr === NULL) return this.alignedAlloc(align, size);
    const usable = this.usableSize(ptr);
    const resized = this.#slow.resize(ptr, usable, size, align);
    if (resized !== -1) return this.#synced(resized);
    const moved = this.alignedAlloc(align, size);
    if (moved === NULL) return NULL;
    this.#ctx.space.u8.copyWithin(moved, ptr, ptr + Math.min(usable, size));
    this.free(ptr);
    return moved;
  }

  /**
   * At least `size` bytes aligned to `align` (a power of two), or 0 when out of memory.
   * @throws RangeError naming `align` or `size`.
   */
  alignedAlloc(align: number, size: number): Ptr {
    assertAlign(align);
    if (align <= MIN_BLOCK) return this.malloc(size);
    assertSize(size);
    const needed = Math.max(size, align);
    if (needed > MAX_SMALL) return this.#synced(this.#slow.allocLarge(size, align));
    // Medium blocks are aligned to their 64-byte unit.
    if (align <= UNIT && needed >= MEDIUM_MIN && needed <= MEDIUM_MAX) return this.#mallocSlow(needed);
    // Power-of-two classes sit on slabs aligned to at least their size, so their blocks are aligned to it.
    return this.#synced(this.#slow.allocClass(classOf(nextPowerOfTwo(needed))));
  }

  /**
   * The bytes usable at `ptr`: its class size, its medium block's length, or a large block's mapped length.
   * @throws RangeError when `ptr` is not a block of this heap.
   */
  usableSize(ptr: Ptr): number {
    return this.#synced(this.#slow.usableSize(ptr));
  }

  /** A typed array over a new block of `length` elements, or null when out of memory. */
  mallocAs<T extends TypedArrayConstructor>(type: T, length: number): InstanceType<T> | null {
    assertSize(length, "length");
    const bytes = length * type.BYTES_PER_ELEMENT;
    if (bytes > MAX_SIZE) return null;
    const ptr = this.alignedAlloc(type.BYTES_PER_ELEMENT, bytes);
    return ptr === NULL
      ? null
      : (new type(this.#ctx.space.buffer as ArrayBuffer, ptr, length) as InstanceType<T>);
  }

  /** As {@link ElfMalloc.mallocAs}, zero-filled. */
  callocAs<T extends TypedArrayConstructor>(type: T, length: number): InstanceType<T> | null {
    const view = this.mallocAs(type, length);
    view?.fill(0);
    return view;
  }

  /** Frees the block under a typed array from {@link ElfMalloc.mallocAs}. */
  freeView(view: ArrayBufferView): void {
    this.free(view.byteOffset);
  }

  /** {@link Alloc.alloc}: `alignedAlloc(align, size)`. */
  alloc(size: number, align = 1): Ptr {
    return align <= MIN_BLOCK ? this.malloc(size) : this.alignedAlloc(align, size);
  }

  /** {@link Alloc.allocZeroed}. */
  allocZeroed(size: number, align = 1): Ptr {
    return this.#zeroed(this.alloc(size, align), size);
  }

  /** {@link Alloc.dealloc}: `free(ptr)`; the size and alignment are not needed. */
  dealloc(ptr: Ptr): void {
    this.free(ptr);
  }

  /** True when `ptr` lies in a slab, medium chunk or large block of this heap. */
  owns(ptr: Ptr): boolean {
    const owned = this.#slow.owns(ptr);
    this.#u32 = this.#ctx.u32;
    return owned;
  }

  /**
   * Returns this thread's caches to the heap and frees its slot; the handle cannot be used afterwards.
   * Blocks stay allocated: any worker may still free them.
   */
  detach(): void {
    const ctx = this.#ctx;
    if (ctx.slot < 0) return;
    const slot = ctx.slot;
    this.#sync();
    this.#threads.close(slot);
    this.#slow.returnThread(slot, ctx.rec);
    this.#threads.release(slot);
    // The address-space handle keeps a few free pages of its own (mmap-alloc's handle cache): give them back.
    ctx.space.detach();
    ctx.detach();
    this.#u32 = DETACHED;
  }

  /**
   * Returns this thread's cached free blocks, claimed slabs and empty medium chunks to the heap, as `detach()`
   * does, but stays attached. malloc does this by itself before it reports out of memory; call it when a
   * thread goes idle.
   */
  trim(): void {
    this.#slow.trim();
    this.#u32 = this.#ctx.u32;
  }

  [Symbol.dispose](): void {
    this.detach();
  }

  /**
   * Returns the caches of a thread that ended without detaching (call it from the worker's `'exit'` handler
   * with the slot of {@link ElfMalloc.shareThread}, or the `threadId` the worker reported), after recovering
   * the address space's lock if the thread died holding it. Never call it for a thread that is still running.
   * Returns false when the slot held no attached thread (a reserved slot that was never attached is freed).
   */
  reclaimThread(slot: number): boolean {
    this.#sync();
    assertSize(slot, "slot", this.#threads.maxThreads - 1);
    if (slot === this.#ctx.slot)
      throw new RangeError("reclaimThread(slot): this is the calling thread's own slot; use detach()");
    const rec = this.#threads.closeEnded(slot);
    if (rec < 0) return false;
    this.#slow.returnThread(slot, rec);
    this.#threads.release(slot);
    return true;
  }

  /** Counters of the whole heap, summed over threads (exact when no thread is in the middle of a call). */
  stats(): ElfMallocStats {
    this.#sync();
    return heapStats(this.#ctx.space, this.#ctx.root);
  }

  /**
   * Every slab with the state of each block, large blocks, thread caches and the `stats()` counters, read
   * without blocking: exact on a quiet heap, a sketch while other threads allocate.
   */
  snapshot(): HeapSnapshot {
    this.#sync();
    return heapSnapshot(this.#ctx.space, this.#ctx.root);
  }

  /**
   * A full consistency walk of the heap: page map, slab headers and bit-sets, thread caches, live counts and
   * the address space. Returns the problems found (none when consistent). Call it while no thread allocates.
   */
  check(): string[] {
    this.#sync();
    return checkHeap(this.#ctx.space, this.#ctx.root);
  }

  /** What malloc() does not handle inline (slow-paths.ts). */
  #mallocSlow(size: number): Ptr {
    return this.#synced(this.#slow.malloc(size));
  }

  /** What free() does not handle inline (slow-paths.ts). */
  #freeSlow(ptr: Ptr): void {
    this.#slow.free(ptr);
    this.#u32 = this.#ctx.u32;
  }

  /**
   * Returns `result` after a slow path, taking the context's views for the fast paths: the slow path may have
   * synced them (a stale copy only sends the fast paths to a slow path, but costs a trip each time).
   */
  #synced(result: number): number {
    this.#u32 = this.#ctx.u32;
    return result;
  }

  #zeroed(ptr: Ptr, bytes: number): Ptr {
    if (ptr !== NULL) this.#ctx.space.u8.fill(0, ptr, ptr + bytes);
    return ptr;
  }

  /** Makes this handle's views cover the whole current buffer (see handle-context.ts); throws once detached. */
  #sync(): void {
    this.#ctx.sync();
    this.#u32 = this.#ctx.u32;
  }
}
