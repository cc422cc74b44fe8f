/**
 * BsAlloc: the bootstrap allocator. Small requests get chunks of five size classes, carved from segments and
 * recycled through lock-free class caches; larger ones are mapped directly from the address space.
 *
 * @module
 */
import { AddressSpace, type AddressSpaceDescriptor } from "@allocators/mmap-alloc";
import {
  type Alloc,
  assertAlign,
  assertPtr,
  assertSize,
  type BlockOwner,
  highestBit,
  isPowerOfTwo,
  type Memory,
  NULL,
  type Ptr,
} from "@allocators/object-alloc";
import { type BsAllocStats, checkHeap, collectStats } from "./audit.js";
import { putCached, takeCached } from "./chunk-cache.js";
import {
  cacheOrUnmapLarge,
  headerOf,
  isLargeHeader,
  isLiveLarge,
  largeAlign,
  largeMappedBytes,
  largeUsable,
  mapLarge,
  retireLarge,
  takeCachedLarge,
} from "./large-block.js";
import { cacheIndex, headIndex, hintIndex, initRoot, ROOT, ROOT_MAGIC, rootBytes } from "./root.js";
import {
  chunkAlign,
  chunkIndex,
  initSegment,
  isLiveChunk,
  nextSegment,
  releaseChunk,
  retireChunk,
  reviveChunk,
  segmentClass,
  setChunkAlign,
  setNextSegment,
  takeFromSegment,
} from "./segment.js";
import { CHUNK_SIZES, CLASS_COUNT, classFor, LARGEST_CHUNK, SEGMENT_BYTES } from "./size-classes.js";

/** Options of {@link BsAlloc.create}. */
export interface BsAllocOptions {
  /**
   * Slots of each class cache: a power of two from 1 to 1024 (default 16). Freed chunks that find no empty slot
   * go back to their segment, where allocation finds them by a bitmap scan.
   */
  cacheSlots?: number;
}

/** What {@link BsAlloc.share} returns and {@link BsAlloc.attach} takes: structured-clonable. */
export interface BsAllocDescriptor {
  /** The address space's descriptor. */
  space: AddressSpaceDescriptor;
  /** The allocator's root in that space. */
  root: Ptr;
}

const DEFAULT_CACHE_SLOTS = 16;
const MAX_CACHE_SLOTS = 1024;
/** `#locate`'s answer for a large block; class indices are 0 and up. */
const LARGE = -2;
/** `#locate`'s answer for a pointer this allocator never handed out. */
const FOREIGN = -1;

/**
 * A thread-safe, lock-free allocator for the metadata of other allocators, inside a shared
 * {@link AddressSpace}. Its whole state lives in the space, so handles in several workers (from
 * {@link BsAlloc.open} or {@link BsAlloc.attach}) are one allocator.
 *
 * - Requests of up to 16 KiB (size and alignment) get a chunk of 64 B, 256 B, 1 KiB, 4 KiB or 16 KiB, aligned
 *   to its chunk size; larger ones get their own mapping, aligned as asked.
 * - `dealloc` needs no size: the block's header is found from the pointer alone.
 * - A double free, or a pointer it never handed out, throws a `RangeError` and changes nothing.
 * - A worker terminated at any instant blocks no other; it leaks at most one segment (128 KiB) or the block
 *   it was allocating or freeing.
 *
 * @example
 * ```ts
 * const space = AddressSpace.create({ maxBytes: 64 << 20, backing: "shared" });
 * const bs = BsAlloc.create(space);
 * const record = bs.alloc(4096, 64);          // a per-thread record, cache-line aligned
 * bs.memory.u32[record >>> 2] = 7;
 * worker.postMessage(bs.share());             // the worker: BsAlloc.attach(data)
 * bs.dealloc(record);                         // no size needed
 * ```
 */
export class BsAlloc implements Alloc, BlockOwner {
  /** The address space the allocator maps from, and the memory its pointers address. */
  readonly space: AddressSpace;
  /** The pointer of the allocator's state in the space: with the space, all another handle needs. */
  readonly root: Ptr;
  readonly #cacheMask: number;
  readonly #patience: number;
  readonly #caches: number[] = [];
  /** This handle's first cache slot and probe stride (odd), drawn once: see chunk-cache.ts. */
  readonly #home: number;
  readonly #stride: number;
  /** The chunk index found by the last `#locate` of a small block. */
  #index = 0;
  /** Whether the last large block allocated came from the large cache (and so may hold old bytes). */
  #recycled = false;
  /**
   * The space's views as it last handed them out (the space is the view cache), taken again by `#cover` when
   * a pointer lies beyond them: the space grew, possibly in another worker, or a wasm memory's buffer was
   * replaced, which leaves these views shorter or detached at length 0. Keeping them here skips the space's
   * getters, which compare the published length with the views' on every read.
   */
  #i32!: Int32Array;
  #u8!: Uint8Array;

  private constructor(space: AddressSpace, root: Ptr) {
    this.space = space;
    this.root = root;
    const slots = space.i32[(root >>> 2) + ROOT.CACHE_SLOTS];
    this.#cacheMask = slots - 1;
    this.#patience = Math.max(1, slots >>> 2);
    for (let cls = 0; cls < CLASS_COUNT; cls++) this.#caches.push((root >>> 2) + cacheIndex(cls, slots));
    this.#home = Math.floor(Math.random() * slots);
    this.#stride = Math.floor(Math.random() * slots) | 1;
    this.#refresh();
  }

  /**
   * A new allocator whose state is mapped from `space`.
   * @throws RangeError naming `cacheSlots` when it is not a power of two from 1 to 1024.
   * @throws Error when the space has no room for the allocator's root (a few hundred bytes).
   */
  static create(space: AddressSpace, options: BsAllocOptions = {}): BsAlloc {
    const slots = options.cacheSlots ?? DEFAULT_CACHE_SLOTS;
    if (!isPowerOfTwo(slots) || slots > MAX_CACHE_SLOTS) {
      throw new RangeError(`cacheSlots must be a power of two from 1 to ${MAX_CACHE_SLOTS}; got ${slots}`);
    }
    const bytes = rootBytes(slots);
    const root = space.map(bytes);
    if (root === NULL) throw new Error(`the address space has no room for a bsalloc root of ${bytes} bytes`);
    initRoot(space.i32, root, bytes, slots);
    return new BsAlloc(space, root);
  }

  /**
   * Another handle on the allocator whose root is `root` in `space` (e.g. in a worker that attached the space).
   * @throws RangeError naming `root` when no allocator's root is there.
   */
  static open(space: AddressSpace, root: Ptr): BsAlloc {
    assertPtr(root, "root");
    const i32 = space.i32;
    if (
      root === NULL ||
      root % 64 !== 0 ||
      root + 64 > space.u8.length ||
      Atomics.load(i32, root >>> 2) !== ROOT_MAGIC
    ) {
      throw new RangeError(`root must be the root of a BsAlloc in this space; got ${root}`);
    }
    return new BsAlloc(space, root);
  }

  /** Opens the allocator described by `descriptor` (from {@link BsAlloc.share}), attaching its space. */
  static attach(descriptor: BsAllocDescriptor): BsAlloc {
    return BsAlloc.open(AddressSpace.attach(descriptor.space), descriptor.root);
  }

  /** A structured-clonable description of this allocator, for {@link BsAlloc.attach} in another worker. */
  share(): BsAllocDescriptor {
    return { space: this.space.share(), root: this.root };
  }

  /** The memory the pointers address: the address space. */
  get memory(): Memory {
    return this.space;
  }

  /**
   * A block of at least `size` bytes aligned to `align`, or 0 when the space is full.
   * @throws RangeError naming `size` or `align` when they are invalid.
   */
  alloc(size: number, align = 1): Ptr {
    assertSize(size);
    assertAlign(align);
    const cls = classFor(Math.max(size, align));
    return cls < 0 ? this.#allocLarge(size, align) : this.#allocChunk(cls, highestBit(align));
  }

  /** As {@link BsAlloc.alloc}, with every usable byte of the block zero. */
  allocZeroed(size: number, align = 1): Ptr {
    const ptr = this.alloc(size, align);
    if (ptr === NULL) return NULL;
    const cls = classFor(Math.max(size, align));
    // Chunks may be recycled; large blocks too when they come from the large cache, else they are fresh
    // mappings, which the space hands out zeroed.
    if (cls >= 0) this.space.u8.fill(0, ptr, ptr + CHUNK_SIZES[cls]);
    else if (this.#recycled) this.space.u8.fill(0, ptr, ptr + this.#usable(LARGE, ptr));
    return ptr;
  }

  /**
   * Frees the live block `ptr`; `size` and `align`, when given, are checked against the block.
   * @throws RangeError naming `ptr` for a pointer that is not a live block of this allocator (a double free),
   * `size` for a size larger than the block, `align` for an alignment the block does not have. Nothing changes.
   */
  dealloc(ptr: Ptr, size?: number, align?: number): void {
    assertPtr(ptr);
    if (size !== undefined) assertSize(size);
    if (align !== undefined) assertAlign(align);
    if (ptr === NULL) return;
    const cls = this.#locate(ptr);
    if (cls === FOREIGN) throw notABlock(ptr);
    if (size !== undefined && size > this.#usable(cls, ptr)) {
      throw new RangeError(`size must be at most the usable size of block ${ptr}; got ${size}`);
    }
    if (align !== undefined && ptr % align !== 0) {
      throw new RangeError(`align must divide the block's address ${ptr}; got ${align}`);
    }
    if (cls === LARGE) this.#freeLarge(ptr);
    else this.#freeChunk(cls, ptr, this.#index);
  }

  /**
   * Resizes the live block `ptr` to `newSize` bytes aligned to `align`, which defaults to the alignment the
   * block was allocated with. Stays in place when the block's class still fits, else moves (copying the bytes
   * both blocks hold). Returns 0, with `ptr` untouched and live, when the space is full.
   * @throws RangeError naming `ptr`, `newSize` or `align` when they are invalid.
   */
  realloc(ptr: Ptr, newSize: number, align?: number): Ptr {
    assertPtr(ptr);
    assertSize(newSize, "newSize");
    if (align !== undefined) assertAlign(align);
    if (ptr === NULL) return this.alloc(newSize, align);
    const cls = this.#locate(ptr);
    if (!this.#isLive(cls, ptr)) throw notABlock(ptr);
    const header = headerOf(ptr);
    const keep =
      align ??
      (cls === LARGE ? largeAlign(this.#i32, header) : chunkAlign(this.#u8, header, cls, this.#index));
    const usable = this.#usable(cls, ptr);
    if (cls >= 0 && classFor(Math.max(newSize, keep)) === cls) {
      setChunkAlign(this.#u8, header, cls, this.#index, highestBit(keep));
      return ptr;
    }
    if (
      cls === LARGE &&
      newSize > LARGEST_CHUNK &&
      newSize <= usable &&
      2 * newSize >= usable &&
      ptr % keep === 0
    ) {
      return ptr;
    }
    const moved = this.alloc(newSize, keep);
    if (moved === NULL) return NULL;
    this.space.u8.copyWithin(moved, ptr, ptr + Math.min(usable, newSize));
    this.dealloc(ptr);
    return moved;
  }

  /**
   * The bytes usable at the live block `ptr`: its chunk size, or up to the end of its mapping.
   * @throws RangeError naming `ptr` when it is not a live block of this allocator.
   */
  usableSize(ptr: Ptr): number {
    assertPtr(ptr);
    const cls = ptr === NULL ? FOREIGN : this.#locate(ptr);
    if (!this.#isLive(cls, ptr)) throw notABlock(ptr);
    return this.#usable(cls, ptr);
  }

  /** True when `ptr` is a live block of this allocator (false for other allocators' blocks in the space). */
  owns(ptr: Ptr): boolean {
    assertPtr(ptr);
    return ptr !== NULL && this.#isLive(this.#locate(ptr), ptr);
  }

  /**
   * Counts of segments, chunks (live, cached, free, lost) and large blocks. A snapshot taken without stopping
   * other workers: exact only while no one allocates.
   */
  stats(): BsAllocStats {
    return collectStats(this.space, this.root);
  }

  /** The broken invariants of the allocator's state (empty when sound). Run it while no one allocates. */
  check(): string[] {
    return checkHeap(this.space, this.root);
  }

  #allocChunk(cls: number, alignLog: number): Ptr {
    const cached = takeCached(
      this.#i32,
      this.#caches[cls],
      this.#cacheMask,
      this.#patience,
      this.#home,
      this.#stride,
    );
    if (cached !== NULL) {
      const seg = headerOf(cached);
      this.#cover(cached);
      reviveChunk(this.#i32, this.#u8, seg, cls, chunkIndex(seg, cls, cached), alignLog);
      return cached;
    }
    return this.#allocFromSegments(cls, alignLog);
  }

  /** Takes a chunk from the hinted segment, else from the first segment of the class with one, else a new one. */
  #allocFromSegments(cls: number, alignLog: number): Ptr {
    const r = this.root >>> 2;
    const hint = Atomics.load(this.#i32, r + hintIndex(cls)) >>> 0;
    if (hint !== NULL) {
      this.#cover(hint + SEGMENT_BYTES - 1);
      const ptr = takeFromSegment(this.#i32, this.#u8, hint, cls, alignLog);
      if (ptr !== NULL) return ptr;
    }
    for (
      let seg = Atomics.load(this.#i32, r + headIndex(cls)) >>> 0;
      seg !== NULL;
      seg = nextSegment(this.#i32, seg)
    ) {
      this.#cover(seg + SEGMENT_BYTES - 1);
      const ptr = takeFromSegment(this.#i32, this.#u8, seg, cls, alignLog);
      if (ptr !== NULL) return ptr;
    }
    return this.#newSegment(cls, alignLog);
  }

  /**
   * Maps a segment, takes its first chunk, then publishes it: link it to the head read, CAS the head. The
   * header is written before the CAS, so a worker that reaches the segment through the list sees it whole. A
   * worker killed before the CAS loses the segment, and blocks no one.
   */
  #newSegment(cls: number, alignLog: number): Ptr {
    const seg = this.space.map(SEGMENT_BYTES, SEGMENT_BYTES);
    if (seg === NULL) return NULL;
    this.#cover(seg + SEGMENT_BYTES - 1);
    const i32 = this.#i32;
    const ptr = initSegment(i32, this.#u8, seg, cls, this.root, alignLog);
    const head = (this.root >>> 2) + headIndex(cls);
    let first = Atomics.load(i32, head);
    for (;;) {
      setNextSegment(i32, seg, first);
      const seen = Atomics.compareExchange(i32, head, first, seg | 0);
      if (seen === first) break;
      first = seen;
    }
    Atomics.store(i32, (this.root >>> 2) + hintIndex(cls), seg | 0);
    return ptr;
  }

  /** From the large cache, else a new mapping. */
  #allocLarge(size: number, align: number): Ptr {
    let ptr = takeCachedLarge(this.space, (this.root >>> 2) + ROOT.LARGE_CACHE, size, align);
    this.#recycled = ptr !== NULL;
    if (ptr === NULL) ptr = mapLarge(this.space, this.root, size, align);
    if (ptr === NULL) return NULL;
    this.#cover(ptr);
    const i32 = this.#i32;
    Atomics.add(i32, (this.root >>> 2) + ROOT.LARGE_BLOCKS, 1);
    Atomics.add(i32, (this.root >>> 2) + ROOT.LARGE_BYTES, largeMappedBytes(i32, headerOf(ptr)) | 0);
    return ptr;
  }

  /**
   * Retires the chunk (one atomic `and` on its live bit: the double-free check), then puts it in a cache slot,
   * or back in its segment when the probes find the cache full.
   */
  #freeChunk(cls: number, ptr: Ptr, index: number): void {
    const i32 = this.#i32;
    const seg = headerOf(ptr);
    if (!retireChunk(i32, seg, cls, index)) throw notABlock(ptr);
    if (putCached(i32, this.#caches[cls], this.#cacheMask, this.#patience, this.#home, this.#stride, ptr))
      return;
    releaseChunk(i32, seg, index);
    Atomics.store(i32, (this.root >>> 2) + hintIndex(cls), seg | 0);
  }

  /** Retires the block (one CAS: the double-free check), then caches or unmaps it. */
  #freeLarge(ptr: Ptr): void {
    const header = headerOf(ptr);
    const i32 = this.#i32;
    if (!retireLarge(i32, header)) throw notABlock(ptr);
    Atomics.sub(i32, (this.root >>> 2) + ROOT.LARGE_BLOCKS, 1);
    Atomics.sub(i32, (this.root >>> 2) + ROOT.LARGE_BYTES, largeMappedBytes(i32, header) | 0);
    const r = this.root >>> 2;
    cacheOrUnmapLarge(this.space, r + ROOT.LARGE_CACHE, r + ROOT.LARGE_VICTIM, ptr);
  }

  /**
   * The class of the block at `ptr` (setting `#index`), {@link LARGE}, or {@link FOREIGN} when no
   * block of this allocator starts there. Reads the header at `alignDown(ptr - 1, SEGMENT_BYTES)`.
   */
  #locate(ptr: Ptr): number {
    this.#cover(ptr);
    if (ptr >= this.#u8.length) return FOREIGN;
    const i32 = this.#i32;
    const header = headerOf(ptr);
    const cls = segmentClass(i32, header, this.root);
    if (cls >= 0) {
      this.#index = chunkIndex(header, cls, ptr);
      return this.#index < 0 ? FOREIGN : cls;
    }
    return isLargeHeader(i32, header, this.root, ptr) ? LARGE : FOREIGN;
  }

  #isLive(cls: number, ptr: Ptr): boolean {
    if (cls === FOREIGN) return false;
    const i32 = this.#i32;
    return cls === LARGE
      ? isLiveLarge(i32, headerOf(ptr))
      : isLiveChunk(i32, headerOf(ptr), cls, this.#index);
  }

  #usable(cls: number, ptr: Ptr): number {
    return cls === LARGE ? largeUsable(this.#i32, headerOf(ptr), ptr) : CHUNK_SIZES[cls];
  }

  /** Makes the views reach byte `ptr` when the buffer does (see `#i32`). */
  #cover(ptr: number): void {
    if (ptr >= this.#u8.length) this.#refresh();
  }

  /** Takes the space's current views. */
  #refresh(): void {
    this.#u8 = this.space.u8;
    this.#i32 = this.space.i32;
  }
}

function notABlock(ptr: Ptr): RangeError {
  return new RangeError(
    `ptr must be a live block of this allocator (not freed already, not inside a block); got ${ptr}`,
  );
}
