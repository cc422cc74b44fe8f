/**
 * ElfMalloc: the heap handle a worker allocates through.
 *
 * @module
 */

import { BagPipe } from "@allocators/bagpipe";
import { BsAlloc } from "@allocators/bsalloc";
import { AddressSpace, type AddressSpaceDescriptor, type Backing } from "@allocators/mmap-alloc";
import {
  type Alloc,
  alignUp,
  assertAlign,
  assertPtr,
  assertSize,
  type BlockOwner,
  MAX_SIZE,
  type Memory,
  NULL,
  type Ptr,
  popcount,
} from "@allocators/object-alloc";
import { availableSetBytes, initAvailableSet, offerSlab, revokeSlab, takeSlab } from "./available-slabs.js";
import { checkHeap } from "./check.js";
import {
  FLAG_CHECKED,
  LAYOUT,
  MAGIC,
  R_AVAILABLE,
  R_FLAGS,
  R_LAYOUT,
  R_MAGIC,
  R_MAX_THREADS,
  R_META_ROOT,
  R_ORPHANS,
  R_PAGE_MAP,
  R_POOLED_GRANULES,
  R_POOLS,
  R_RETIRED,
  R_SLAB_GRANULES,
  R_THREADS,
  rootBytes,
  THREAD_WORDS,
} from "./heap-root.js";
import { LargeBlocks } from "./large-blocks.js";
import { MediumBlocks } from "./medium-blocks.js";
import { CHUNK_BYTES, MEDIUM_MAX, MEDIUM_MIN, UNIT } from "./medium-chunk.js";
import {
  clearEntries,
  entryIndex,
  GRANULE,
  GRANULE_SHIFT,
  KIND_LARGE,
  KIND_MASK,
  KIND_MEDIUM,
  KIND_SLAB,
  pageMapBytes,
  pointerMask,
  setEntries,
} from "./page-map.js";
import {
  CLASS_COUNT,
  classOf,
  MAX_SMALL,
  MIN_BLOCK,
  SIZE_CLASSES,
  type SizeClass,
  SLAB_SIZES,
  SMALL_LOOKUP,
  slabAlign,
  TABLE_LIMIT,
} from "./size-classes.js";
import {
  blockIndex,
  claim,
  EMPTY,
  freeBlocks,
  freeCount,
  initSlab,
  markFreed,
  markLive,
  OFFER,
  parkSlab,
  RELEASE,
  returnBits,
  setOwner,
  settled,
  slabClass,
  slabOwner,
  takeWord,
  unclaim,
} from "./slab.js";
import { type HeapSnapshot, heapSnapshot } from "./snapshot.js";
import { type ElfMallocStats, heapStats } from "./stats.js";
import {
  BITS,
  CLASS_OFFSETS,
  CLOSED_COUNT,
  COUNT,
  ITEMS,
  KEPT,
  KEPT_SLOTS,
  LIMIT,
  MAGAZINE_UNITS_MAX,
  MAGAZINE_UNITS_MIN,
  MEDIUM_MAGAZINE,
  mediumCount,
  NEXT_WORD,
  RECORD_BYTES,
  SLAB,
  SLAB_FREES,
  SLOT_CLOSING,
  SLOT_FREE,
  SLOT_LIVE,
  SLOT_RESERVED,
  SPARE_SLOTS,
  SPARES,
  TAKEN,
} from "./thread-cache.js";

/** Options of {@link ElfMalloc.create}. */
export interface ElfMallocOptions {
  /** The most bytes the heap may ever span (up to 4 GiB). */
  maxBytes: number;
  /** Bytes to reserve up front (the buffer grows on demand beyond). */
  initialBytes?: number;
  /** Where the heap lives, as in mmap-alloc: `'shared'` (default), `'local'`, `'wasm'`, a `WebAssembly.Memory` or a `SharedArrayBuffer`. */
  backing?: Backing;
  /** With an existing `WebAssembly.Memory`: the first byte the heap may use (the module's data lies below). */
  base?: number;
  /** How many threads may be attached at once (default 64, at most 1024). */
  maxThreads?: number;
  /** Checked mode: detect double frees, interior and foreign pointers on every free (see README for the cost). */
  checked?: boolean;
}

/** What another worker needs to attach: structured-clonable. */
export interface ElfMallocDescriptor {
  space: AddressSpaceDescriptor;
  root: number;
  /** A thread slot reserved by {@link ElfMalloc.shareThread}, which the parent can reclaim. */
  slot?: number;
}

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

const MAGAZINE_CAPACITY = Int32Array.from(SIZE_CLASSES, (c) => c.magazine);
const CLASS_SIZE = Int32Array.from(SIZE_CLASSES, (c) => c.size);
const DEFAULT_MAX_THREADS = 64;
const MAX_THREADS = 1024;
const DETACHED = new Uint32Array(0);
/** The class a parked 64 KiB page is recorded under (see {@link ElfMalloc.#releaseChunk}). */
const POOL_CLASS_64K = SIZE_CLASSES.findIndex((c) => c.slabBytes === CHUNK_BYTES);

/**
 * A scalable malloc shared by many workers (see the package README for the design and guarantees).
 *
 * Each worker holds its own `ElfMalloc` handle on the same heap: {@link ElfMalloc.create} in one,
 * {@link ElfMalloc.attach} with the descriptor of {@link ElfMalloc.share} in the others. A handle is bound to
 * the thread that made it: never send the handle itself, send a descriptor.
 */
export class ElfMalloc implements Alloc, BlockOwner, Disposable {
  readonly #space: AddressSpace;
  readonly #meta: BsAlloc;
  readonly #root: number;
  /** i32 index of each class's set of available slabs. */
  readonly #available: Int32Array;
  readonly #pools: BagPipe[];
  readonly #large: LargeBlocks;
  readonly #medium: MediumBlocks;
  readonly #checked: boolean;
  readonly #maxBytes: number;
  #u32: Uint32Array = DETACHED;
  #i32: Int32Array = new Int32Array(0);
  /** Room to sort a magazine's blocks by address before freeing them into slabs. */
  readonly #scratch = new Uint32Array(64);
  /** Byte offset of the page map. */
  #map = 0;
  /** u32 index of the page map. */
  #mapIndex = 0;
  /** See {@link pointerMask}. */
  #ptrMask = 0;
  /** u32 index of this thread's record. */
  #rec = 0;
  /**
   * u32 index of the magazine `count` of each class, and of the class serving each size up to
   * `TABLE_LIMIT` (by `(size + 15) >> 4`), for the fast paths: the limit is the word before a count, the
   * items follow it. In checked mode all point to the record's closed magazine (see thread-cache.ts).
   */
  readonly #countByClass = new Int32Array(CLASS_COUNT);
  readonly #countBySize = new Int32Array(SMALL_LOOKUP.length);
  #slot = -1;

  private constructor(space: AddressSpace, root: number, slot: number | undefined) {
    this.#space = space;
    this.#root = root;
    this.#sync();
    const r = root >>> 2;
    const i32 = this.#i32;
    if (i32[r + R_MAGIC] !== MAGIC || i32[r + R_LAYOUT] !== LAYOUT) {
      throw new RangeError(`descriptor root ${root} is not an elfmalloc heap of this version`);
    }
    this.#checked = (i32[r + R_FLAGS] & FLAG_CHECKED) !== 0;
    this.#maxBytes = space.maxBytes;
    this.#map = i32[r + R_PAGE_MAP];
    this.#mapIndex = this.#map >>> 2;
    this.#ptrMask = pointerMask(space.maxBytes);
    this.#meta = BsAlloc.open(space, i32[r + R_META_ROOT]);
    this.#pools = SLAB_SIZES.map((_, p) => BagPipe.open(space, i32[r + R_POOLS + p]));
    this.#large = new LargeBlocks(space, root, this.#map);
    this.#medium = new MediumBlocks(space, root, this.#map, i32[r + R_ORPHANS] >>> 2, {
      takeChunk: () => this.#takeChunk(),
      releaseChunk: (base) => this.#releaseChunk(base),
    });
    this.#available = Int32Array.from(SIZE_CLASSES, (c) => i32[r + R_AVAILABLE + c.index] >>> 2);
    this.#bindThread(slot);
  }

  /**
   * A new heap over a new address space, attached to the calling thread.
   * @throws RangeError naming the option that is invalid.
   */
  static create(options: ElfMallocOptions): ElfMalloc {
    const maxThreads = options.maxThreads ?? DEFAULT_MAX_THREADS;
    assertSize(maxThreads, "maxThreads", MAX_THREADS);
    if (maxThreads < 1) throw new RangeError(`maxThreads must be at least 1; got ${maxThreads}`);
    // Pages of one granule: every slab and large block is a whole number of granules aligned to one, so no
    // mapping needs more than its own size of free space (an alignment above the page size needs up to
    // `bytes + align - page`, and the free runs it cannot use fragment the space), and the address space's
    // own page state is 36 bytes per granule.
    const space = AddressSpace.create({
      pageSize: GRANULE,
      maxBytes: options.maxBytes,
      initialBytes: options.initialBytes,
      backing: options.backing,
      base: options.base,
    });
    // The root, the page map, the pools and the available sets share one mapping.
    const pools = SLAB_SIZES.map((bytes) => bagShape(space, bytes));
    const pageMapAt = alignUp(rootBytes(maxThreads), 64);
    let bytes = pageMapAt + pageMapBytes(space.maxBytes);
    const poolsAt = pools.map((shape) => {
      const at = bytes;
      bytes += alignUp(BagPipe.byteLength(shape), 64);
      return at;
    });
    // A set per class, and one more for orphaned medium chunks.
    const setsAt = [...SIZE_CLASSES, null].map(() => {
      const at = bytes;
      bytes += alignUp(availableSetBytes(space.maxBytes), 64);
      return at;
    });
    const root = space.map(bytes);
    if (root === NULL) throw new RangeError("maxBytes is too small for the heap's own tables");
    const meta = BsAlloc.create(space);
    const i32 = space.i32;
    const r = root >>> 2;
    i32[r + R_LAYOUT] = LAYOUT;
    i32[r + R_FLAGS] = options.checked ? FLAG_CHECKED : 0;
    i32[r + R_MAX_THREADS] = maxThreads;
    i32[r + R_PAGE_MAP] = root + pageMapAt;
    i32[r + R_META_ROOT] = meta.root;
    pools.forEach((shape, p) => {
      BagPipe.init(space, root + poolsAt[p], shape);
      i32[r + R_POOLS + p] = root + poolsAt[p];
    });
    setsAt.forEach((at, c) => {
      initAvailableSet(i32, (root + at) >>> 2, space.maxBytes);
      i32[r + (c < CLASS_COUNT ? R_AVAILABLE + c : R_ORPHANS)] = root + at;
    });
    Atomics.store(i32, r + R_MAGIC, MAGIC);
    return new ElfMalloc(space, root, undefined);
  }

  /** A handle on the heap of `descriptor` for the calling thread (any worker). */
  static attach(descriptor: ElfMallocDescriptor): ElfMalloc {
    return new ElfMalloc(AddressSpace.attach(descriptor.space), descriptor.root, descriptor.slot);
  }

  /** A descriptor any worker can attach with; it takes a free thread slot when it attaches. */
  share(): ElfMallocDescriptor {
    return { space: this.#space.share(), root: this.#root };
  }

  /**
   * A descriptor with a thread slot reserved for one worker, so that the parent can call
   * {@link ElfMalloc.reclaimThread} with `descriptor.slot` from the worker's `'exit'` handler.
   * @returns the descriptor, or throws a RangeError when every slot is taken.
   */
  shareThread(): ElfMallocDescriptor & { slot: number } {
    return { ...this.share(), slot: this.#takeSlot(SLOT_RESERVED) };
  }

  /** This thread's slot: its id for {@link ElfMalloc.reclaimThread}. */
  get threadId(): number {
    return this.#slot;
  }

  /** The heap's memory; its views stay current as the heap grows. */
  get memory(): Memory {
    return this.#space;
  }
  get buffer(): ArrayBufferLike {
    return this.#space.buffer;
  }
  get u8(): Uint8Array {
    return this.#space.u8;
  }
  get i32(): Int32Array {
    return this.#space.i32;
  }
  get u32(): Uint32Array {
    return this.#space.u32;
  }
  get f32(): Float32Array {
    return this.#space.f32;
  }
  get f64(): Float64Array {
    return this.#space.f64;
  }
  get view(): DataView {
    return this.#space.view;
  }
  /** The address space the heap lives in. */
  get space(): AddressSpace {
    return this.#space;
  }
  /** True in checked mode. */
  get checked(): boolean {
    return this.#checked;
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
    if (this.#fitsInPlace(ptr, usable, size, align)) return ptr;
    const entry = this.#u32[entryIndex(this.#map, ptr)];
    if ((entry & KIND_MASK) === KIND_LARGE && size > MAX_SMALL && align <= GRANULE) {
      return this.#large.remap(ptr, usable, size);
    }
    const moved = this.alignedAlloc(align, size);
    if (moved === NULL) return NULL;
    this.#space.u8.copyWithin(moved, ptr, ptr + Math.min(usable, size));
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
    if (needed > MAX_SMALL) return this.#allocLarge(size, align);
    // Medium blocks are aligned to their 64-byte unit.
    if (align <= UNIT && needed >= MEDIUM_MIN && needed <= MEDIUM_MAX) return this.#mallocSlow(needed);
    // Power-of-two classes sit on slabs aligned to at least their size, so their blocks are aligned to it.
    return this.#allocClass(classOf(2 ** Math.ceil(Math.log2(needed))));
  }

  /**
   * The bytes usable at `ptr`: its class size, or the mapped length of a large block.
   * @throws RangeError when `ptr` is not a block of this heap.
   */
  usableSize(ptr: Ptr): number {
    assertPtr(ptr);
    if (ptr >= this.#maxBytes) throw notABlock(ptr);
    this.#sync();
    const e = entryIndex(this.#map, ptr);
    const entry = this.#u32[e];
    if ((entry & KIND_MASK) === KIND_SLAB) return CLASS_SIZE[this.#u32[e + 1]];
    if ((entry & KIND_MASK) === KIND_MEDIUM)
      return this.#medium.usableSize(this.#u32, ptr, entry - KIND_MEDIUM);
    if ((entry & KIND_MASK) === KIND_LARGE && entry - KIND_LARGE === ptr) return this.#u32[e + 1] * GRANULE;
    throw notABlock(ptr);
  }

  /** A typed array over a new block of `length` elements, or null when out of memory. */
  mallocAs<T extends TypedArrayConstructor>(type: T, length: number): InstanceType<T> | null {
    assertSize(length, "length");
    const bytes = length * type.BYTES_PER_ELEMENT;
    if (bytes > MAX_SIZE) return null;
    const ptr = this.alignedAlloc(type.BYTES_PER_ELEMENT, bytes);
    return ptr === NULL
      ? null
      : (new type(this.#space.buffer as ArrayBuffer, ptr, length) as InstanceType<T>);
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

  /** True when `ptr` lies in a slab or large block of this heap. */
  owns(ptr: Ptr): boolean {
    if (ptr >>> 0 !== ptr || ptr >= this.#maxBytes) return false;
    this.#sync();
    const kind = this.#u32[entryIndex(this.#map, ptr)] & KIND_MASK;
    return kind === KIND_SLAB || kind === KIND_MEDIUM || kind === KIND_LARGE;
  }

  /**
   * Returns this thread's caches to the heap and frees its slot; the handle cannot be used afterwards.
   * Blocks stay allocated: any worker may still free them.
   */
  detach(): void {
    if (this.#slot < 0) return;
    const slot = this.#slot;
    const state = this.#threadIndex(slot);
    this.#sync();
    Atomics.store(this.#i32, state, SLOT_CLOSING);
    this.#medium.leave(this.#u32, this.#i32, this.#rec, slot);
    this.#returnCaches(this.#rec);
    Atomics.store(this.#i32, state, SLOT_FREE);
    // The address-space handle keeps a few free pages of its own (mmap-alloc's handle cache): give them back.
    this.#space.detach();
    this.#slot = -1;
    this.#u32 = DETACHED;
  }

  /**
   * Returns this thread's cached free blocks and claimed slabs to the heap, as `detach()` does, but stays
   * attached. malloc does this by itself before it reports out of memory; call it when a thread goes idle.
   */
  trim(): void {
    this.#sync();
    this.#medium.trim(this.#u32, this.#i32);
    this.#returnCaches(this.#rec);
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
    assertSize(slot, "slot", Atomics.load(this.#i32, (this.#root >>> 2) + R_MAX_THREADS) - 1);
    if (slot === this.#slot)
      throw new RangeError("reclaimThread(slot): this is the calling thread's own slot; use detach()");
    const state = this.#threadIndex(slot);
    if (Atomics.compareExchange(this.#i32, state, SLOT_RESERVED, SLOT_FREE) === SLOT_RESERVED) return false;
    if (Atomics.compareExchange(this.#i32, state, SLOT_LIVE, SLOT_CLOSING) !== SLOT_LIVE) return false;
    this.#space.recover(this.#i32[state + 2]);
    this.#medium.leave(this.#u32, this.#i32, this.#i32[state + 1] >>> 2, slot);
    this.#returnCaches(this.#i32[state + 1] >>> 2);
    Atomics.store(this.#i32, state, SLOT_FREE);
    return true;
  }

  /** Counters of the whole heap, summed over threads (exact when no thread is in the middle of a call). */
  stats(): ElfMallocStats {
    this.#sync();
    return heapStats(this.#space, this.#root);
  }

  /**
   * Every slab with the state of each block, large blocks, thread caches and the `stats()` counters, read
   * without blocking: exact on a quiet heap, a sketch while other threads allocate.
   */
  snapshot(): HeapSnapshot {
    this.#sync();
    return heapSnapshot(this.#space, this.#root);
  }

  /**
   * A full consistency walk of the heap: page map, slab headers and bit-sets, thread caches, live counts and
   * the address space. Returns the problems found (none when consistent). Call it while no thread allocates.
   */
  check(): string[] {
    this.#sync();
    return checkHeap(this.#space, this.#root);
  }

  /** Everything malloc() does not handle inline: an empty magazine, larger sizes, checked mode, bad sizes. */
  #mallocSlow(size: number): Ptr {
    if (size >>> 0 !== size || size > MAX_SMALL) return this.#allocLarge(size, MIN_BLOCK);
    if (size >= MEDIUM_MIN && size <= MEDIUM_MAX) {
      this.#sync();
      return this.#medium.alloc(this.#u32, this.#i32, size);
    }
    return this.#allocClass(classOf(size));
  }

  /** A block of class `c`: from the magazine, else from the claimed slab. */
  #allocClass(c: number): Ptr {
    const at = this.#rec + CLASS_OFFSETS[c];
    const n = this.#u32[at + COUNT];
    let ptr: number;
    if (n > 0) {
      this.#u32[at + COUNT] = n - 1;
      ptr = this.#u32[at + ITEMS + n - 1];
    } else {
      ptr = this.#allocFromSlab(c, at);
      if (ptr === NULL) return NULL;
    }
    if (this.#checked) this.#checkAlloc(ptr, c);
    return ptr;
  }

  #allocFromSlab(c: number, at: number): Ptr {
    for (;;) {
      const u32 = this.#u32;
      const bits = u32[at + BITS];
      // `> 0`, not `!== 0`: a stale or detached view reads undefined, which must take the slow path.
      if (bits > 0) {
        const low = bits & -bits;
        u32[at + BITS] = bits ^ low;
        const index = ((u32[at + NEXT_WORD] - 1) << 5) + 31 - Math.clz32(low);
        return u32[at + SLAB] + index * CLASS_SIZE[c];
      }
      if (!this.#refill(SIZE_CLASSES[c], at)) return NULL;
    }
  }

  /** Takes the next word of free bits from the claimed slab, or claims another slab. False when out of memory. */
  #refill(c: SizeClass, at: number): boolean {
    for (;;) {
      this.#sync();
      const u32 = this.#u32;
      const i32 = this.#i32;
      const slab = u32[at + SLAB];
      if (slab !== 0) {
        for (let w = u32[at + NEXT_WORD]; w < c.words; w++) {
          const taken = takeWord(i32, slab, c, w);
          if (taken !== 0) {
            i32[this.#rec + TAKEN + c.index] += popcount(taken);
            u32[at + BITS] = taken;
            u32[at + NEXT_WORD] = w + 1;
            return true;
          }
        }
        u32[at + SLAB] = 0;
        if (this.#letGo(slab, c)) {
          claim(i32, slab, c.slabBytes);
          u32[at + SLAB] = slab;
          u32[at + NEXT_WORD] = 0;
          continue;
        }
      }
      const fresh = this.#acquireSlab(c);
      if (fresh === NULL) return false;
      // Through the current views: acquiring may have grown the buffer and detached `u32`.
      this.#u32[at + SLAB] = fresh;
      this.#u32[at + NEXT_WORD] = 0;
    }
  }

  /**
   * Unclaims a slab this thread scanned to the end. Returns true when it is worth keeping (enough blocks came
   * back), in which case the caller claims it again: nobody else can have taken it, as it was offered to no one.
   */
  #letGo(slab: number, c: SizeClass): boolean {
    return unclaim(this.#i32, slab, c) !== 0;
  }

  /** An available slab of class `c`, a parked slab, or a newly mapped one; 0 when out of memory. */
  #acquireSlab(c: SizeClass): Ptr {
    const kept = c.slabBytes === SLAB_SIZES[0] ? this.#takeKept(c) : NULL;
    if (kept !== NULL) return kept;
    const offered = takeSlab(this.#i32, this.#available[c.index]);
    // A slab from the available set or a pool may lie beyond this handle's views if another worker grew the
    // heap for it.
    this.#sync();
    if (offered > 0) {
      if (!claim(this.#i32, offered, c.slabBytes))
        throw new Error(`elfmalloc: slab ${offered} was offered while claimed`);
      setOwner(this.#i32, offered, c.slabBytes, this.#slot);
      return offered;
    }
    const base = this.#takePage(c.slabBytes);
    if (base === NULL) return NULL;
    this.#sync();
    setEntries(this.#u32, this.#map, base, c.slabBytes, KIND_SLAB, c.index);
    initSlab(this.#i32, base, c, this.#slot);
    return base;
  }

  /**
   * A spare slab of this thread (16 KiB), a parked slab of `bytes` or a new mapping; when the space is full,
   * unparks every pool and retries once.
   */
  #takePage(bytes: number): Ptr {
    if (bytes === SLAB_SIZES[0]) {
      const spare = this.#takeSpare();
      if (spare !== NULL) return spare;
    }
    const p = SLAB_SIZES.indexOf(bytes as (typeof SLAB_SIZES)[number]);
    const r = this.#root >>> 2;
    const parked = this.#pools[p].tryPop();
    if (parked > 0) {
      Atomics.sub(this.#i32, r + R_POOLED_GRANULES, bytes / GRANULE);
      return parked;
    }
    const align = slabAlign(bytes);
    // Zeroed: a new slab's header and bit-sets start from zero.
    let base = this.#space.map(bytes, align);
    if (base === NULL && this.#giveBack()) base = this.#space.map(bytes, align);
    if (base === NULL) return NULL;
    // The space's views: the mapping may have grown the buffer (an unshared wasm memory's old views detach);
    // the caller syncs this handle's.
    Atomics.add(this.#space.i32, r + R_SLAB_GRANULES, bytes / GRANULE);
    return base;
  }

  /** 64 KiB of pages for a medium chunk (see {@link ElfMalloc.#takePage}). */
  #takeChunk(): Ptr {
    const base = this.#takePage(CHUNK_BYTES);
    this.#sync();
    return base;
  }

  /**
   * An empty medium chunk goes to the 64 KiB page pool as a parked slab: the page map names it a slab of the
   * first class whose slabs are 64 KiB, as for every parked 64 KiB slab, before it is parked.
   */
  #releaseChunk(base: number): void {
    this.#sync();
    setEntries(this.#u32, this.#map, base, CHUNK_BYTES, KIND_SLAB, POOL_CLASS_64K);
    this.#poolSlab(base, CHUNK_BYTES);
  }

  /**
   * Puts an empty slab among this thread's spares (16 KiB slabs, while a slot is free), else in its page pool,
   * or gives its pages back to the address space when the pools already hold more than an eighth of all slab
   * memory (and more than 1 MiB): the dirty-page bound the original lacked.
   */
  #releaseSlab(base: number, c: SizeClass): void {
    if (!settled(this.#i32, base, c)) return;
    if (c.slabBytes !== SLAB_SIZES[0] || !this.#parkSpare(base)) this.#poolSlab(base, c.slabBytes);
  }

  /** Parks an empty slab of `bytes` in its page pool, or unmaps it (see {@link ElfMalloc.#releaseSlab}). */
  #poolSlab(base: number, bytes: number): void {
    const r = this.#root >>> 2;
    const granules = bytes / GRANULE;
    const pooled = Atomics.add(this.#i32, r + R_POOLED_GRANULES, granules) + granules;
    const slabs = Atomics.load(this.#i32, r + R_SLAB_GRANULES);
    const p = SLAB_SIZES.indexOf(bytes as (typeof SLAB_SIZES)[number]);
    if (pooled * GRANULE > 1 << 20 && pooled * 8 > slabs) {
      Atomics.sub(this.#i32, r + R_POOLED_GRANULES, granules);
      this.#unmapSlab(base, bytes);
      return;
    }
    parkSlab(this.#i32, base, bytes);
    if (!this.#pools[p].push(base)) {
      Atomics.sub(this.#i32, r + R_POOLED_GRANULES, granules);
      this.#unmapSlab(base, bytes);
    }
  }

  /**
   * Parks an empty 16 KiB slab in this thread's record, if a spare slot is free: no shared word is touched
   * until the thread takes it back. Marked parked before the slot names it, so that a thread killed in between
   * leaves a slab check() reports (pooled granules off by it), never one named twice.
   */
  #parkSpare(base: number): boolean {
    const u32 = this.#u32;
    for (let k = 0; k < SPARE_SLOTS; k++) {
      if (u32[this.#rec + SPARES + k] === 0) {
        parkSlab(this.#i32, base, SLAB_SIZES[0]);
        u32[this.#rec + SPARES + k] = base;
        return true;
      }
    }
    return false;
  }

  /**
   * Keeps a 16 KiB slab this thread last claimed, which its frees just brought to the reuse cutoff, for this
   * thread alone (see thread-cache.ts), if a slot is free. Being in no available set, the slab is claimed by no
   * one else; a free that empties it finds nothing to revoke and leaves it here.
   */
  #keep(base: number, c: SizeClass): boolean {
    if (c.slabBytes !== SLAB_SIZES[0] || slabOwner(this.#i32, base, c.slabBytes) !== this.#slot) return false;
    const k = this.#keptSlot(0, -1);
    if (k >= 0) this.#u32[k] = base + c.index + 1;
    return k >= 0;
  }

  /** Forgets a slab this thread kept (it became empty: it goes to the pages). False if it was not kept here. */
  #unkeep(base: number, c: SizeClass): boolean {
    const k = c.slabBytes === SLAB_SIZES[0] ? this.#keptSlot(base + c.index + 1, -1) : -1;
    if (k >= 0) this.#u32[k] = 0;
    return k >= 0;
  }

  /** A slab of class `c` this thread kept, claimed; or 0. */
  #takeKept(c: SizeClass): Ptr {
    const k = this.#keptSlot(c.index + 1, GRANULE - 1);
    if (k < 0) return NULL;
    const base = this.#u32[k] - c.index - 1;
    this.#u32[k] = 0;
    if (!claim(this.#i32, base, c.slabBytes)) throw new Error(`elfmalloc: kept slab ${base} was claimed`);
    return base;
  }

  /**
   * u32 index of this thread's first kept-slab slot whose entry, under `mask`, is `value` (an empty slot: 0
   * under -1; a slab of class c: c + 1 under the granule's low bits), or -1.
   */
  #keptSlot(value: number, mask: number): number {
    for (let k = this.#rec + KEPT, end = k + KEPT_SLOTS; k < end; k++) {
      if ((this.#u32[k] & mask) >>> 0 === value) return k;
    }
    return -1;
  }

  /**
   * Offers the slabs the record at u32 index `rec` kept to their classes, or releases those that became empty.
   * A free racing with this may find an offered slab empty and release it, or an unoffered one and leave it
   * to be offered here: then it waits, empty, in its class's set, as after any offer that lost such a race.
   */
  #releaseKept(rec: number): void {
    for (let k = 0; k < KEPT_SLOTS; k++) {
      const entry = this.#u32[rec + KEPT + k];
      this.#u32[rec + KEPT + k] = 0;
      if (entry === 0) continue;
      const c = SIZE_CLASSES[(entry & (GRANULE - 1)) - 1];
      const base = entry & ~(GRANULE - 1);
      if (freeCount(this.#i32, base, c.slabBytes) === c.objects) this.#releaseSlab(base, c);
      else offerSlab(this.#i32, this.#available[c.index], base);
    }
  }

  /** A spare slab of this thread, or 0. */
  #takeSpare(): Ptr {
    const u32 = this.#u32;
    for (let k = SPARE_SLOTS - 1; k >= 0; k--) {
      const base = u32[this.#rec + SPARES + k];
      if (base !== 0) {
        u32[this.#rec + SPARES + k] = 0;
        return base;
      }
    }
    return NULL;
  }

  /** Puts the spare slabs of the record at u32 index `rec` in the shared page pool. */
  #releaseSpares(rec: number): void {
    for (let k = 0; k < SPARE_SLOTS; k++) {
      const base = this.#u32[rec + SPARES + k];
      this.#u32[rec + SPARES + k] = 0;
      if (base !== 0) this.#poolSlab(base, SLAB_SIZES[0]);
    }
  }

  #unmapSlab(base: number, bytes: number): void {
    clearEntries(this.#u32, this.#map, base, bytes);
    Atomics.sub(this.#i32, (this.#root >>> 2) + R_SLAB_GRANULES, bytes / GRANULE);
    this.#space.unmap(base, bytes);
  }

  /**
   * Out of address space: returns this thread's caches (magazines, private bits, claimed slabs, so that its
   * empty slabs reach the pools) and then every parked slab to the address space. True if any slab was unmapped.
   */
  #giveBack(): boolean {
    this.trim();
    const pools = this.#unmapPools();
    return this.#large.flushCache() || pools;
  }

  /** Gives every parked slab back to the address space; true if any was. */
  #unmapPools(): boolean {
    let any = false;
    SLAB_SIZES.forEach((bytes, p) => {
      for (let base = this.#pools[p].tryPop(); base > 0; base = this.#pools[p].tryPop()) {
        Atomics.sub(this.#i32, (this.#root >>> 2) + R_POOLED_GRANULES, bytes / GRANULE);
        this.#unmapSlab(base, bytes);
        any = true;
      }
    });
    return any;
  }

  /** Frees the newest `half` blocks of class `c`'s full magazine into their slabs. */
  #flushMagazine(c: number, at: number, half: number): void {
    this.#sync();
    const u32 = this.#u32;
    const n = u32[at + COUNT];
    // The newest half leaves the magazine before it is freed: a thread killed in between leaks those blocks,
    // but never leaves a block both in its magazine and free in its slab, which reclaimThread would free twice.
    u32[at + COUNT] = n - half;
    this.#freeToSlabs(this.#rec, c, at + ITEMS + n - half, half);
    u32[this.#rec + SLAB_FREES] += half;
  }

  /**
   * Frees `n` blocks of class `cls`, listed at u32 index `from`, that the thread record `rec` held, into their
   * slabs. Sorted by address, the blocks of one bit-set word come together and cost one `Atomics.add` and one
   * `Atomics.or` for all of them (the original's coalescing of remote frees).
   */
  #freeToSlabs(rec: number, cls: number, from: number, n: number): void {
    this.#i32[rec + TAKEN + cls] -= n;
    const ptrs = this.#scratch;
    for (let k = 0; k < n; k++) ptrs[k] = this.#u32[from + k];
    sortAscending(ptrs, n);
    for (let k = 0; k < n; ) {
      const e = entryIndex(this.#map, ptrs[k]);
      const base = this.#u32[e] - KIND_SLAB;
      const c = SIZE_CLASSES[this.#u32[e + 1]];
      const w = ((ptrs[k] - base) / c.size) >>> 5;
      let mask = 0;
      let count = 0;
      for (; k < n && ptrs[k] < base + c.slabBytes; k++) {
        const index = (ptrs[k] - base) / c.size;
        if (index >>> 5 !== w) break;
        mask |= 1 << (index & 31);
        count++;
      }
      this.#freeWord(base, c, w, mask, count);
    }
  }

  /**
   * Frees the blocks `mask` of word `w` of a slab. Into this thread's private bits when the word is the one it
   * is allocating from (no atomics: those bits are this thread's alone); else into the slab's bit-set, carrying
   * out the life-cycle transition that caused.
   */
  #freeWord(base: number, c: SizeClass, w: number, mask: number, count: number): void {
    const u32 = this.#u32;
    const at = this.#rec + CLASS_OFFSETS[c.index];
    if (u32[at + SLAB] === base && u32[at + NEXT_WORD] - 1 === w) {
      u32[at + BITS] |= mask;
      this.#i32[this.#rec + TAKEN + c.index] += count;
      return;
    }
    this.#afterFree(base, c, freeBlocks(this.#i32, base, c, w, mask, count));
  }

  /**
   * Carries out what a free did to the slab's life cycle. An empty slab goes back to the pool
   * only if this thread revokes its offer: when the revoke fails, another thread took the slab and will
   * allocate from it, or the free that offered it has not offered it yet and will (an empty slab then waits in
   * the available set for its class instead of in the pool).
   */
  #afterFree(base: number, c: SizeClass, transition: number): void {
    const set = this.#available[c.index];
    if (transition === OFFER) {
      if (!this.#keep(base, c)) offerSlab(this.#i32, set, base);
    } else if (
      transition === RELEASE ||
      (transition === EMPTY && (this.#unkeep(base, c) || revokeSlab(this.#i32, set, base)))
    )
      this.#releaseSlab(base, c);
  }

  /** Everything free() does not handle inline: a full magazine, checked mode, large blocks, stale views, errors. */
  #freeSlow(ptr: Ptr): void {
    if (ptr === NULL) return;
    assertPtr(ptr);
    if (ptr >= this.#maxBytes) throw notABlock(ptr);
    this.#sync();
    const e = entryIndex(this.#map, ptr);
    const entry = this.#u32[e];
    if ((entry & KIND_MASK) === KIND_SLAB && (ptr & (MIN_BLOCK - 1)) === 0) {
      const c = this.#u32[e + 1];
      if (this.#checked) this.#checkFree(ptr, entry - KIND_SLAB, c);
      const at = this.#rec + CLASS_OFFSETS[c];
      if (this.#u32[at + COUNT] === MAGAZINE_CAPACITY[c])
        this.#flushMagazine(c, at, MAGAZINE_CAPACITY[c] >>> 1);
      const n = this.#u32[at + COUNT];
      this.#u32[at + ITEMS + n] = ptr;
      this.#u32[at + COUNT] = n + 1;
      return;
    }
    if ((entry & KIND_MASK) === KIND_MEDIUM) {
      this.#medium.free(this.#u32, this.#i32, ptr, entry - KIND_MEDIUM);
      return;
    }
    if ((entry & KIND_MASK) === KIND_LARGE && entry - KIND_LARGE === ptr) {
      this.#large.free(ptr, this.#u32[e + 1] * GRANULE);
      return;
    }
    throw notABlock(ptr);
  }

  #allocLarge(size: number, align: number): Ptr {
    assertSize(size);
    if (size > this.#maxBytes) return NULL;
    const base = this.#large.alloc(size, align);
    if (base !== NULL || !this.#giveBack()) return base;
    return this.#large.alloc(size, align);
  }

  /** True when `size` bytes at `align` fit the block at `ptr` without wasting more than its class would. */
  #fitsInPlace(ptr: Ptr, usable: number, size: number, align: number): boolean {
    if (ptr % align !== 0 || size > usable) return false;
    if (usable > MAX_SMALL) return size > usable - GRANULE;
    if ((this.#u32[entryIndex(this.#map, ptr)] & KIND_MASK) === KIND_MEDIUM) {
      return size >= MEDIUM_MIN && size > usable - UNIT;
    }
    return classOf(Math.max(size, align)) === classOf(usable);
  }

  #zeroed(ptr: Ptr, bytes: number): Ptr {
    if (ptr !== NULL) this.#space.u8.fill(0, ptr, ptr + bytes);
    return ptr;
  }

  /** Checked mode: the block must be live in its slab's live bit-set. */
  #checkFree(ptr: Ptr, base: number, cls: number): void {
    this.#sync();
    const c = SIZE_CLASSES[cls];
    const index = blockIndex(ptr, base, c);
    if (slabClass(this.#i32, base, c.slabBytes) !== cls || index < 0) {
      throw new RangeError(`free(${ptr}): an interior pointer or a block of a recycled slab`);
    }
    if (!markFreed(this.#i32, base, c, index))
      throw new RangeError(`free(${ptr}): double free (the block is not live)`);
  }

  #checkAlloc(ptr: Ptr, cls: number): void {
    this.#sync();
    const c = SIZE_CLASSES[cls];
    const base = this.#u32[entryIndex(this.#map, ptr)] - KIND_SLAB;
    if (!markLive(this.#i32, base, c, blockIndex(ptr, base, c))) {
      throw new Error(`elfmalloc: block ${ptr} handed out while live (heap corrupted)`);
    }
  }

  /** Empties a thread record: magazines and private bits back to slabs, slabs let go, counters retired. */
  #returnCaches(rec: number): void {
    this.#sync();
    const u32 = this.#u32;
    const r = this.#root >>> 2;
    for (const c of SIZE_CLASSES) {
      const at = rec + CLASS_OFFSETS[c.index];
      const cached = u32[at + COUNT];
      u32[at + COUNT] = 0;
      this.#freeToSlabs(rec, c.index, at + ITEMS, cached);
      const slab = u32[at + SLAB];
      if (slab !== 0) {
        const bits = u32[at + BITS];
        if (bits !== 0) {
          returnBits(this.#i32, slab, c, u32[at + NEXT_WORD] - 1, bits);
          this.#i32[rec + TAKEN + c.index] -= popcount(bits);
        }
        const transition = unclaim(this.#i32, slab, c);
        if (transition === OFFER) offerSlab(this.#i32, this.#available[c.index], slab);
        else if (transition === EMPTY) this.#releaseSlab(slab, c);
      }
      u32[at + SLAB] = 0;
      u32[at + BITS] = 0;
      u32[at + NEXT_WORD] = 0;
      // Nothing of the class is cached any more: what the record took out of slabs is live.
      const live = this.#i32[rec + TAKEN + c.index];
      if (live !== 0) Atomics.add(this.#i32, r + R_RETIRED + c.index, live);
      this.#i32[rec + TAKEN + c.index] = 0;
    }
    // Last: the slabs released above, kept ones included, may have become this thread's spares.
    this.#releaseKept(rec);
    this.#releaseSpares(rec);
  }

  /** Takes a thread slot for this handle (the reserved one, or any free one) with a record. */
  #bindThread(reserved: number | undefined): void {
    const slot = reserved ?? this.#takeSlot(SLOT_LIVE);
    const state = this.#threadIndex(slot);
    if (
      reserved !== undefined &&
      Atomics.compareExchange(this.#i32, state, SLOT_RESERVED, SLOT_LIVE) !== SLOT_RESERVED
    ) {
      throw new RangeError(`descriptor.slot ${reserved} is not reserved (already attached or reclaimed)`);
    }
    let record = this.#i32[state + 1];
    if (record === 0) {
      record = this.#meta.allocZeroed(RECORD_BYTES, 64);
      if (record === NULL) {
        Atomics.store(this.#i32, state, SLOT_FREE);
        throw new RangeError("the heap has no memory left for a thread record");
      }
      this.#sync();
      this.#i32[state + 1] = record;
    }
    // The address-space lock names its holder: reclaimThread() needs it to recover the lock if this thread
    // dies holding it.
    this.#i32[state + 2] = this.#space.holder;
    this.#slot = slot;
    this.#rec = record >>> 2;
    for (const c of SIZE_CLASSES) {
      const at = this.#rec + CLASS_OFFSETS[c.index];
      this.#u32[at + LIMIT] = c.magazine;
      this.#countByClass[c.index] = this.#checked ? this.#rec + CLOSED_COUNT : at + COUNT;
    }
    // Medium sizes up to 1 KiB come from the medium magazine of their unit count (closed in checked mode).
    for (let units = MAGAZINE_UNITS_MIN; units <= MAGAZINE_UNITS_MAX; units++) {
      this.#u32[this.#rec + mediumCount(units) - 1] = this.#checked ? 0 : MEDIUM_MAGAZINE;
    }
    for (let k = 0; k < SMALL_LOOKUP.length; k++) {
      const medium = this.#checked ? this.#rec + CLOSED_COUNT : this.#rec + mediumCount((k + 3) >>> 2);
      this.#countBySize[k] = k * MIN_BLOCK >= MEDIUM_MIN ? medium : this.#countByClass[SMALL_LOOKUP[k]];
    }
    this.#medium.bind(slot, this.#rec);
  }

  /** Finds a free slot and moves it to `state`; a RangeError when all are taken. */
  #takeSlot(state: number): number {
    const max = this.#i32[(this.#root >>> 2) + R_MAX_THREADS];
    for (let slot = 0; slot < max; slot++) {
      if (Atomics.compareExchange(this.#i32, this.#threadIndex(slot), SLOT_FREE, state) === SLOT_FREE)
        return slot;
    }
    throw new RangeError(`all ${max} thread slots of the heap are taken (maxThreads)`);
  }

  #threadIndex(slot: number): number {
    return (this.#root >>> 2) + R_THREADS + slot * THREAD_WORDS;
  }

  /**
   * Makes this handle's views cover the whole current buffer; throws once detached.
   *
   * Why fixed-length views refreshed here rather than length-tracking ones: on Node 20 an access through a
   * length-tracking view of a growable SharedArrayBuffer costs several times a fixed-length one. The fast paths
   * only touch the root, the page map and this thread's record, which all existed when the views were last
   * made; everything else (slab headers, other threads' memory) is reached through a slow path that calls
   * this first. A view made before another worker grew the heap reads `undefined` past its end, which the
   * fast paths treat as "take the slow path".
   */
  #sync(): void {
    if (this.#slot < 0 && this.#u32 === DETACHED && this.#map !== 0) {
      throw new Error("this ElfMalloc handle was detached");
    }
    // The address space's views: current after one load of its published length (no byteLength call, which
    // workers of a growable SharedArrayBuffer contend on).
    const u32 = this.#space.u32;
    if (u32 !== this.#u32) {
      this.#u32 = u32;
      this.#i32 = this.#space.i32;
    }
  }
}

/**
 * The shape of the page pool for slabs of `slabBytes`: 4 rings with room together for the slabs of that size
 * that fill an eighth of the heap, and at least 1 MiB of them: what {@link ElfMalloc}'s release policy lets the
 * pools hold (an empty slab that finds its pool full anyway is unmapped). Four rings, so that the first workers'
 * handles start on different ones.
 */
function bagShape(space: AddressSpace, slabBytes: number): { pipes: number; capacity: number } {
  const pipes = 4;
  const cells = Math.max(space.maxBytes / 8, 1 << 20) / slabBytes;
  return { pipes, capacity: Math.min(512, 2 ** Math.ceil(Math.log2(Math.max(8, cells / pipes)))) };
}

/** Sorts `values[0 .. n)` in place: insertion sort, as n is at most a magazine (64) and often nearly sorted. */
function sortAscending(values: Uint32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    for (; j >= 0 && values[j] > v; j--) values[j + 1] = values[j];
    values[j + 1] = v;
  }
}

function notABlock(ptr: Ptr): RangeError {
  return new RangeError(`ptr ${ptr} is not a block of this heap`);
}
