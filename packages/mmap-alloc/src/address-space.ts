/**
 * AddressSpace: the "operating system" of the suite. It owns one growable buffer and hands out zeroed runs of
 * pages to every worker attached to it, as mmap/munmap/mremap do. This file is the public API and the one-page
 * fast paths; below it: the header (header.ts), the backing and its growth (backing.ts), the page state and its
 * lock (page-runs.ts), the one-page caches (page-cache.ts) and zeroing (zeroing.ts).
 *
 * @module
 */
import {
  assertAlign,
  assertPtr,
  assertSize,
  MAX_SIZE,
  type Memory,
  MemoryViews,
  type Ptr,
} from "@allocators/object-alloc";
import {
  type AddressSpaceDescriptor,
  type BufferBacking,
  makeBacking,
  SpaceGrowth,
  sharedBacking,
  WasmBacking,
} from "./backing.js";
import {
  type AddressSpaceOptions,
  H_HOLDERS,
  H_LENGTH16,
  planSpace,
  readHeader,
  writeHeader,
} from "./header.js";
import {
  handleCacheSlots,
  handleCacheTag,
  isOnePage,
  NO_HANDLE_CACHE,
  popPage,
  pushPage,
  UNCLAIMED,
} from "./page-cache.js";
import { type AddressSpaceStats, PageRuns } from "./page-runs.js";
import { assertLabel, COUNT_MASK, headTag, LABEL_SHIFT } from "./run-tags.js";
import { PageZeroer } from "./zeroing.js";

/**
 * A range of pages `0 .. maxBytes / pageSize` over one buffer, mapped and unmapped in runs by every worker
 * attached to it. All page-allocation state (a segment tree of free pages, run tags, a lock and a redo log)
 * lives at the start of the buffer, so a mapped run is never at offset 0.
 *
 * Thread safety: map, unmap, remap, commit, uncommit, stats and check take one lock word in the buffer (one
 * `compareExchange` and one `exchange` when uncontended), except a one-page map or unmap served by the
 * handle's own page cache (page-cache.ts), which only this handle changes: plain stores, no atomics. A
 * worker terminated while holding the lock blocks the others until some worker calls
 * {@link AddressSpace.recover} with its {@link AddressSpace.holder} id, which replays the dead holder's
 * half-done change from the redo log (redo-log.ts) and releases the lock; it also returns the dead
 * handle's page cache, as {@link AddressSpace.detach} does for a live one.
 *
 * Zeroing (zeroing.ts): a one-page unmap zeroes the page; a longer one tags its pages dirty, and `map` zeroes
 * the dirty pages of the run it hands out after releasing the lock, unless asked not to.
 *
 * @example
 * ```ts
 * const space = AddressSpace.create({ maxBytes: 64 << 20 });
 * const ptr = space.map(3 * 4096);          // three zeroed pages
 * space.u32[ptr >>> 2] = 42;
 * const big = space.map(1 << 20, 1 << 20);  // 1 MiB aligned to 1 MiB
 * space.unmap(ptr, 4096);                   // its first page only
 * worker.postMessage(space.share());        // AddressSpace.attach(descriptor) there
 * ```
 */
export class AddressSpace implements Memory {
  /** The page size in bytes. */
  readonly pageSize: number;
  /** The most bytes the buffer may hold: a multiple of the page size. */
  readonly maxBytes: number;
  /**
   * This handle's lock-holder id: post it to whoever must {@link AddressSpace.recover} if this worker dies
   * (or ends without {@link AddressSpace.detach}).
   */
  readonly holder: number;
  readonly #backing: BufferBacking;
  readonly #views: MemoryViews;
  readonly #metaBase: number;
  /** The word index, in the views, of the run tag of page 0. */
  readonly #tags: number;
  readonly #runs: PageRuns;
  readonly #pages: number;
  readonly #firstPage: number;
  readonly #zeroer: PageZeroer;
  /** log2(pageSize) and pageSize - 1: page arithmetic by shifts and masks. */
  readonly #pageShift: number;
  readonly #pageMask: number;
  /** This handle's own page cache: the word of its stack, or UNCLAIMED / NO_HANDLE_CACHE; its tag; its size. */
  #local = UNCLAIMED;
  #localTag = 0;
  readonly #localSlots: number;
  /** The views' Int32Array as last handed out: it covers the metadata for good unless the buffer detaches. */
  #meta: Int32Array;

  private constructor(backing: BufferBacking, metaBase: number) {
    const h = metaBase >>> 2;
    this.#backing = backing;
    this.#views = new MemoryViews(backing, { lengthWord: h + H_LENGTH16 });
    this.#meta = this.#views.i32;
    const shape = readHeader(this.#meta, h, metaBase);
    this.#metaBase = metaBase;
    this.pageSize = shape.pageSize;
    this.#pages = shape.pages;
    this.maxBytes = this.#pages * this.pageSize;
    this.#firstPage = shape.firstPage;
    this.holder = Atomics.add(this.#meta, h + H_HOLDERS, 1) + 1;
    const growth = new SpaceGrowth(backing, this.#views, h, this.pageSize, this.maxBytes);
    this.#runs = new PageRuns(this.#meta, h, shape, this.holder, growth);
    this.#tags = this.#runs.tags;
    this.#zeroer = new PageZeroer(this.#views, backing instanceof WasmBacking ? backing.memory : undefined);
    this.#pageShift = Math.log2(this.pageSize);
    this.#pageMask = this.pageSize - 1;
    this.#localSlots = handleCacheSlots(this.#pages);
  }

  /**
   * A new address space.
   * @throws RangeError naming the option when `maxBytes`, `initialBytes`, `pageSize` or `base` is invalid or
   * when `maxBytes` cannot hold the metadata and one page; TypeError for an unknown backing.
   */
  static create(options: AddressSpaceOptions): AddressSpace {
    const { shape, metaBase, initial } = planSpace(options);
    const kind = options.backing ?? "shared";
    const backing = makeBacking(kind, shape.pages * shape.pageSize, initial);
    const fresh = typeof kind === "string"; // a new buffer is zero: no need to clear the metadata
    writeHeader(new MemoryViews(backing).i32, metaBase >>> 2, shape, backing.byteLength, fresh);
    return new AddressSpace(backing, metaBase);
  }

  /**
   * A handle on the space `descriptor` describes (from {@link AddressSpace.share}, possibly in another worker).
   * @throws TypeError when the descriptor does not describe an address space.
   */
  static attach(descriptor: AddressSpaceDescriptor): AddressSpace {
    if (descriptor?.kind !== "mmap-alloc") throw new TypeError("not an mmap-alloc address space descriptor");
    return new AddressSpace(sharedBacking(descriptor.memory), descriptor.metaBase);
  }

  /**
   * A structured-clonable descriptor of this space for {@link AddressSpace.attach}.
   * @throws TypeError for a `"local"` space or an unshared `WebAssembly.Memory`, which no other worker can reach.
   */
  share(): AddressSpaceDescriptor {
    const memory = this.#backing.shareable;
    if (memory === undefined) {
      throw new TypeError("this address space is not shared: use a shared backing to attach workers");
    }
    return { kind: "mmap-alloc", memory, metaBase: this.#metaBase };
  }

  get buffer(): ArrayBufferLike {
    return this.#views.buffer;
  }
  get u8(): Uint8Array {
    return this.#views.u8;
  }
  get i32(): Int32Array {
    return this.#views.i32;
  }
  get u32(): Uint32Array {
    return this.#views.u32;
  }
  get f32(): Float32Array {
    return this.#views.f32;
  }
  get f64(): Float64Array {
    return this.#views.f64;
  }
  get view(): DataView {
    return this.#views.view;
  }

  /**
   * Maps a zeroed run of `ceil(bytes / pageSize)` pages aligned to `max(align, pageSize)`, growing the buffer
   * when the run reaches past its end. The run is the leftmost free one that fits (first fit keeps the buffer
   * compact); for an alignment above the page size it needs `bytes + align - pageSize` free bytes, as the
   * original's large-align does.
   * @param label a number from 0 to 127 stored with the run ({@link AddressSpace.runLabel}); 0 by default.
   * @param zero false when the caller does not need zeroed pages (a malloc's blocks): pages freed by a longer
   *   unmap then keep their old bytes, which saves zeroing them (a fresh page still reads zero).
   * @returns the run's first byte, or 0 when `maxBytes` (or the engine) leaves no room.
   * @throws RangeError naming `bytes` (not an integer from 1 to 2^32), `align` or `label`.
   */
  map(bytes: number, align = this.pageSize, label = 0, zero = true): Ptr {
    if (isOnePage(bytes, align, label, this.pageSize)) return this.#mapPage(label, zero);
    assertBytes(bytes, "bytes");
    assertAlign(align);
    assertLabel(label);
    const pages = Math.ceil(bytes / this.pageSize);
    const alignPages = align > this.pageSize ? align / this.pageSize : 1;
    if (pages + alignPages - 1 > this.#pages) return 0;
    return this.#mapRun(pages, alignPages, label, zero);
  }

  /**
   * Maps one page: from this handle's cache (no lock: only this handle changes it), else from the shared
   * cache, else from the tree.
   */
  #mapPage(label: number, zero: boolean): Ptr {
    const head = headTag(1, label);
    const local = this.#local;
    if (local >= 0) {
      const m = this.#metaView();
      if (m[local] > 0) return popPage(m, local, this.#tags, head) * this.pageSize;
    }
    return this.#mapRun(1, 1, label, zero);
  }

  /**
   * Maps `pages` pages aligned to `alignPages` pages under the lock: one page from the shared cache, else a
   * run from the tree; then zeroes its dirty pages, after the lock, when asked to. 0 when there is no room.
   */
  #mapRun(pages: number, alignPages: number, label: number, zero: boolean): Ptr {
    const start = this.#runs.mapRun(this.#metaView(), pages, alignPages, label, this.#local);
    if (start < 0) return 0;
    const ends = this.#runs.dirtyEnds;
    if (zero && ends >= 0)
      this.#zeroer.zeroDirty(this.#metaView(), this.#tags, start, pages, ends, this.pageSize);
    return start * this.pageSize;
  }

  /**
   * Unmaps `[ptr, ptr + bytes)`, `bytes` rounded up to pages: a whole run, or its first or last pages (the rest
   * stays mapped). One page is zeroed; longer ranges are tagged dirty and zeroed when mapped again (unless that
   * map asks for no zeroing), so they read zero when mapped again.
   * @throws RangeError naming `ptr` when it is not page-aligned or the range is not the head or tail of one
   * mapped run (not mapped, already unmapped, spanning runs, or the middle of a run); naming `bytes` when
   * it is not an integer from 1 to 2^32. Nothing changes when it throws.
   */
  unmap(ptr: Ptr, bytes: number): void {
    const page = this.#onePageRun(ptr, bytes);
    if (page > 0) {
      this.#unmapPage(ptr, page);
      return;
    }
    const first = this.#pageOf(ptr);
    assertBytes(bytes, "bytes");
    const pages = Math.ceil(bytes / this.pageSize);
    if (!this.#runs.unmap(this.#metaView(), first, pages)) {
      throw new RangeError(
        `ptr ${ptr} and bytes ${pages * this.pageSize} are not the head or tail of a mapped run (not mapped, already unmapped, or spanning runs)`,
      );
    }
  }

  /**
   * The page of `ptr` when `unmap(ptr, bytes)` unmaps a whole one-page run (the fast path's checks, by shifts
   * and masks), else 0. The caller owns that run, so its tag is stable without the lock.
   */
  #onePageRun(ptr: Ptr, bytes: number): number {
    if (
      ptr >>> 0 !== ptr ||
      (ptr & this.#pageMask) !== 0 ||
      bytes >>> 0 !== bytes ||
      bytes === 0 ||
      bytes > this.pageSize
    ) {
      return 0;
    }
    const page = ptr >>> this.#pageShift;
    if (page < this.#firstPage || page >= this.#pages) return 0;
    const head = this.#metaView()[this.#tags + page];
    return head > 0 && (head & COUNT_MASK) === 1 ? page : 0;
  }

  /**
   * Zeroes and unmaps the one-page run `page` at `ptr`: into this handle's cache (claimed at the first call)
   * while it has room, else into the shared cache while it has room, else into the tree.
   */
  #unmapPage(ptr: Ptr, page: number): void {
    this.#zeroer.zero(ptr, this.pageSize);
    if (this.#local === UNCLAIMED) this.#claimHandleCache();
    const local = this.#local;
    if (local >= 0) {
      const m = this.#metaView();
      if (m[local] < this.#localSlots) {
        pushPage(m, local, this.#tags, page, this.#localTag);
        return;
      }
    }
    this.#runs.unmapPage(this.#metaView(), page);
  }

  /** Claims a free handle cache (one `compareExchange` on its owner word), or notes that none is free. */
  #claimHandleCache(): void {
    const index = this.#localSlots > 0 ? this.#runs.claimHandleCache(this.#metaView()) : -1;
    this.#local = index < 0 ? NO_HANDLE_CACHE : this.#runs.handleCacheAt(index);
    if (index >= 0) this.#localTag = handleCacheTag(index);
  }

  /**
   * Gives this handle's page cache back: its pages go to the tree and its slot to the next handle that needs
   * one. Call it when a worker stops using the space (or let {@link AddressSpace.recover} do it once the
   * worker has ended); the handle stays usable, and claims a cache again at its next one-page unmap.
   */
  detach(): void {
    const local = this.#local;
    this.#local = UNCLAIMED;
    if (local >= 0) this.#runs.releaseHandleCache(this.#metaView(), local, this.#localTag);
  }

  /**
   * Resizes the run at `ptr` (of exactly `oldBytes`, rounded up to pages) to `newBytes`, as mremap with
   * MREMAP_MAYMOVE: shrinking unmaps (and zeroes) the tail; growing takes the following pages when they are
   * free, else maps a new run aligned to `align`, copies the old pages into it and unmaps them. New bytes
   * read as zero.
   * @returns the run's (possibly new) address, or 0 when there is no room: the old run is then untouched.
   * @throws RangeError naming `ptr` when it is not the start of a mapped run of `oldBytes`, or naming the
   * size or `align` argument that is invalid.
   */
  remap(ptr: Ptr, oldBytes: number, newBytes: number, align = this.pageSize): Ptr {
    const first = this.#pageOf(ptr);
    assertBytes(oldBytes, "oldBytes");
    assertBytes(newBytes, "newBytes");
    assertAlign(align);
    const oldPages = Math.ceil(oldBytes / this.pageSize);
    const newPages = Math.ceil(newBytes / this.pageSize);
    const head = this.#metaView()[this.#tags + first];
    if (head <= 0 || (head & COUNT_MASK) !== oldPages) {
      throw new RangeError(`ptr ${ptr} is not the start of a mapped run of ${oldPages} pages`);
    }
    const label = head >>> LABEL_SHIFT;
    if (ptr % align === 0) {
      if (newPages < oldPages)
        this.unmap(ptr + newPages * this.pageSize, (oldPages - newPages) * this.pageSize);
      if (newPages <= oldPages || this.#extend(first, oldPages, newPages, label)) return ptr;
    }
    const moved = this.map(newBytes, align, label);
    if (moved === 0) return 0;
    this.u8.copyWithin(moved, ptr, ptr + Math.min(oldPages, newPages) * this.pageSize);
    this.unmap(ptr, oldPages * this.pageSize);
    return moved;
  }

  /**
   * Makes `[ptr, ptr + bytes)` of mapped pages ready for use. Every mapped page of a JavaScript buffer is
   * already backed, so this only checks the range.
   * @throws RangeError naming `ptr` unless every page of the range is mapped.
   */
  commit(ptr: Ptr, bytes: number): void {
    this.#assertMapped(ptr, bytes);
  }

  /**
   * As `madvise(MADV_DONTNEED)`: the mapped pages of `[ptr, ptr + bytes)` read as zero afterwards. JavaScript
   * cannot return memory to the operating system, so this zeroes them and reclaims nothing.
   * @throws RangeError naming `ptr` unless every page of the range is mapped.
   */
  uncommit(ptr: Ptr, bytes: number): void {
    this.#assertMapped(ptr, bytes);
    this.#zeroer.zero(ptr, Math.ceil(bytes / this.pageSize) * this.pageSize);
  }

  /** The bytes of the run that starts at `ptr`, or 0 when no mapped run starts there. */
  runSize(ptr: Ptr): number {
    const head = this.#headAt(ptr);
    return head > 0 ? (head & COUNT_MASK) * this.pageSize : 0;
  }

  /** The label the run starting at `ptr` was mapped with, or -1 when no mapped run starts there. */
  runLabel(ptr: Ptr): number {
    const head = this.#headAt(ptr);
    return head > 0 ? head >>> LABEL_SHIFT : -1;
  }

  /**
   * Cleans up after a worker that ended without {@link AddressSpace.detach} (terminated, or simply done): call
   * it (from any worker, typically the `'exit'` handler of the dead worker) with the dead worker's
   * {@link AddressSpace.holder}. If it was terminated while holding the lock, replays the change it was
   * making, if any, and releases the lock; then returns the pages of its handle cache to the tree (taking
   * the lock, so it may wait for a live holder). Runs the dead worker had mapped stay mapped: only their
   * owner knew them. Calling it again is harmless.
   * @returns true when `deadHolder` held the lock and it was recovered; false when it did not hold it.
   */
  recover(deadHolder: number): boolean {
    const m = this.#metaView();
    if (deadHolder === this.holder || deadHolder <= 0) return false;
    const held = this.#runs.recoverLock(m, deadHolder);
    this.#runs.releaseHandleCachesOf(m, deadHolder);
    return held;
  }

  /** The id of the worker handle holding the lock now, or 0. */
  lockHolder(): number {
    return this.#runs.lockHolder(this.#metaView());
  }

  /** A consistent snapshot of the space's sizes. */
  stats(): AddressSpaceStats {
    return this.#runs.stats(this.#metaView());
  }

  /**
   * Checks every invariant of the space under its lock: the tree agrees with itself, every page below
   * `maxBytes` is reserved, free or in exactly one run, runs have matching head and tail tags and lie inside
   * the buffer, free runs are coalesced (the tree's longest free run is the real one), the mapped counter
   * matches, and free pages read zero. Costs O(pages + committed bytes).
   * @returns the problems found; empty when the space is sound.
   */
  check(): string[] {
    return this.#runs.check(this.#metaView());
  }

  /** The page of `ptr`, validated: page-aligned and among the pages that can be mapped. */
  #pageOf(ptr: Ptr): number {
    assertPtr(ptr);
    const page = ptr >>> this.#pageShift; // exact: assertPtr leaves integers below 2^32
    if ((ptr & this.#pageMask) !== 0 || page < this.#firstPage || page >= this.#pages) {
      throw new RangeError(
        `ptr must be a page-aligned (${this.pageSize}) address of a mapped run of this space; got ${ptr}`,
      );
    }
    return page;
  }

  #headAt(ptr: Ptr): number {
    assertPtr(ptr);
    const page = ptr >>> this.#pageShift;
    if ((ptr & this.#pageMask) !== 0 || page < this.#firstPage || page >= this.#pages) return 0;
    return this.#metaView()[this.#tags + page];
  }

  /** Grows the run at `first` in place when the pages after it are free, zeroing them; false otherwise. */
  #extend(first: number, oldPages: number, newPages: number, label: number): boolean {
    if (!this.#runs.extendRun(this.#metaView(), first, oldPages, newPages, label)) return false;
    const added = newPages - oldPages;
    const ends = this.#runs.dirtyEnds;
    this.#zeroer.zeroDirty(this.#metaView(), this.#tags, first + oldPages, added, ends, this.pageSize);
    return true;
  }

  /** @throws RangeError naming `ptr` unless every page of `[ptr, ptr + bytes)` is mapped. */
  #assertMapped(ptr: Ptr, bytes: number): void {
    const first = this.#pageOf(ptr);
    assertBytes(bytes, "bytes");
    if (!this.#runs.isMapped(this.#metaView(), first, Math.ceil(bytes / this.pageSize))) {
      throw new RangeError(`ptr ${ptr} and bytes ${bytes} must lie in mapped pages`);
    }
  }

  /**
   * The views' Int32Array, which every metadata word is read through. Asked of the views again only when the
   * buffer detaches on growth (an unshared `WebAssembly.Memory`): any other buffer keeps the first one valid,
   * and the metadata lies at its start.
   */
  #metaView(): Int32Array {
    if (this.#backing.detaches) this.#meta = this.#views.i32;
    return this.#meta;
  }
}

function assertBytes(value: number, name: string): void {
  assertSize(value, name, MAX_SIZE);
  if (value === 0) throw new RangeError(`${name} must be an integer from 1 to ${MAX_SIZE}; got 0`);
}
