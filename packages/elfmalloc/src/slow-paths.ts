/**
 * The slow paths: everything `malloc` and `free` do not handle inline, for one handle. They route a request
 * to the layer that serves its size, and a pointer to the layer that owns it by its page-map kind:
 * ```
 *  size:    16 B .. 256 B, and power-of-two classes for alignedAlloc -> small-blocks.ts (size classes)
 *           257 B .. 16 KiB                                          -> medium-blocks.ts (best fit)
 *           above 128 KiB, bad sizes, large alignments                -> large-blocks.ts (mapped whole)
 *  pointer: page-map entry KIND_SLAB | KIND_MEDIUM | KIND_LARGE       -> the same three layers
 * ```
 * Out of memory is handled here alone, once for every layer: a layer returns 0, and the slow path gives
 * memory back (this thread's caches, the parked pages, the cached large blocks) and tries once more. So no
 * layer calls back up to trim, and malloc trims by itself before it reports out of memory.
 *
 * Checked mode marks every small block handed out and freed (checked.ts); the fast paths never run in checked
 * mode (their magazines are closed), so every call comes through here.
 *
 * @module
 */
import { assertPtr, assertSize, NULL, type Ptr } from "@allocators/object-alloc";
import { checkAlloc, checkFree } from "./checked.js";
import type { HandleContext } from "./handle-context.js";
import { LargeBlocks } from "./large-blocks.js";
import { MediumBlocks } from "./medium-blocks.js";
import { MEDIUM_MAX, MEDIUM_MIN, UNIT } from "./medium-chunk.js";
import { entryIndex, GRANULE, KIND_LARGE, KIND_MASK, KIND_MEDIUM, KIND_SLAB } from "./page-map.js";
import { PagePools } from "./page-pools.js";
import { classOf, MAX_SMALL, MIN_BLOCK, SIZE_CLASSES } from "./size-classes.js";
import { SmallBlocks } from "./small-blocks.js";

/** The slow paths of one handle, over its layers. */
export class SlowPaths {
  readonly #ctx: HandleContext;
  readonly #pools: PagePools;
  readonly #small: SmallBlocks;
  readonly #medium: MediumBlocks;
  readonly #large: LargeBlocks;
  readonly #maxBytes: number;

  constructor(ctx: HandleContext) {
    this.#ctx = ctx;
    this.#maxBytes = ctx.space.maxBytes;
    this.#pools = new PagePools(ctx);
    this.#large = new LargeBlocks(ctx.space, ctx.root, ctx.map);
    this.#medium = new MediumBlocks(ctx, this.#pools);
    this.#small = new SmallBlocks(ctx, this.#pools);
  }

  /** What malloc() does not handle inline: an empty magazine, larger sizes, checked mode, bad sizes. */
  malloc(size: number): Ptr {
    if (size >>> 0 !== size || size > MAX_SMALL) return this.allocLarge(size, MIN_BLOCK);
    if (size >= MEDIUM_MIN && size <= MEDIUM_MAX) return this.#allocMedium(size);
    return this.allocClass(classOf(size));
  }

  /**
   * A block of class index `cls`, or 0 when out of memory even after {@link SlowPaths.giveBack}. Marked live in
   * checked mode.
   */
  allocClass(cls: number): Ptr {
    let ptr = this.#small.alloc(cls);
    if (ptr === NULL && this.giveBack()) ptr = this.#small.alloc(cls);
    if (ptr !== NULL && this.#ctx.checked) checkAlloc(this.#ctx, ptr, cls);
    return ptr;
  }

  /**
   * A large block of `size` bytes aligned to `align`, or 0 when out of memory even after
   * {@link SlowPaths.giveBack}.
   * @throws RangeError naming `size` when it is not a size.
   */
  allocLarge(size: number, align: number): Ptr {
    assertSize(size);
    if (size > this.#maxBytes) return NULL;
    const base = this.#large.alloc(size, align);
    if (base !== NULL || !this.giveBack()) return base;
    return this.#large.alloc(size, align);
  }

  /**
   * What free() does not handle inline: a full magazine, checked mode, medium and large blocks, stale views,
   * errors; `free(0)` does nothing.
   * @throws RangeError for a pointer that is not a block of this heap.
   */
  free(ptr: Ptr): void {
    if (ptr === NULL) return;
    const e = this.#entryOf(ptr);
    const ctx = this.#ctx;
    const entry = ctx.u32[e];
    if ((entry & KIND_MASK) === KIND_SLAB && (ptr & (MIN_BLOCK - 1)) === 0) {
      const cls = ctx.u32[e + 1];
      if (ctx.checked) checkFree(ctx, ptr, entry - KIND_SLAB, cls);
      this.#small.free(ptr, cls);
    } else if ((entry & KIND_MASK) === KIND_MEDIUM) {
      this.#medium.free(ptr, entry - KIND_MEDIUM);
    } else if ((entry & KIND_MASK) === KIND_LARGE && entry - KIND_LARGE === ptr) {
      this.#large.free(ptr, ctx.u32[e + 1] * GRANULE);
    } else {
      throw notABlock(ptr);
    }
  }

  /**
   * The bytes usable at `ptr`: its class size, its medium block's length, or a large block's mapped length.
   * @throws RangeError when `ptr` is not a block of this heap.
   */
  usableSize(ptr: Ptr): number {
    const e = this.#entryOf(ptr);
    const ctx = this.#ctx;
    const entry = ctx.u32[e];
    if ((entry & KIND_MASK) === KIND_SLAB) return SIZE_CLASSES[ctx.u32[e + 1]].size;
    if ((entry & KIND_MASK) === KIND_MEDIUM) return this.#medium.usableSize(ptr, entry - KIND_MEDIUM);
    if ((entry & KIND_MASK) === KIND_LARGE && entry - KIND_LARGE === ptr) return ctx.u32[e + 1] * GRANULE;
    throw notABlock(ptr);
  }

  /** True when `ptr` lies in a slab, medium chunk or large block of this heap. */
  owns(ptr: Ptr): boolean {
    if (ptr >>> 0 !== ptr || ptr >= this.#maxBytes) return false;
    const ctx = this.#ctx;
    ctx.sync();
    const kind = ctx.u32[entryIndex(ctx.map, ptr)] & KIND_MASK;
    return kind === KIND_SLAB || kind === KIND_MEDIUM || kind === KIND_LARGE;
  }

  /**
   * Resizes the live block at `ptr` of `usable` bytes without moving its contents by hand: `ptr` itself when
   * `size` bytes at `align` fit it without wasting more than its class would, a large block remapped by the
   * address space (0 when that fails), or -1 when the block must move to a new one.
   */
  resize(ptr: Ptr, usable: number, size: number, align: number): number {
    const kind = this.#ctx.u32[entryIndex(this.#ctx.map, ptr)] & KIND_MASK;
    if (fitsInPlace(kind, ptr, usable, size, align)) return ptr;
    if (kind === KIND_LARGE && size > MAX_SMALL && align <= GRANULE)
      return this.#large.remap(ptr, usable, size);
    return -1;
  }

  /** Returns this thread's medium magazines and empty chunks, and its small-block caches, to the heap. */
  trim(): void {
    this.#ctx.sync();
    this.#medium.trim();
    this.#small.returnCaches(this.#ctx.rec);
  }

  /** Returns the caches of the closing thread `slot`, whose record is at u32 index `rec`. */
  returnThread(slot: number, rec: number): void {
    this.#medium.leave(rec, slot);
    this.#small.returnCaches(rec);
  }

  /**
   * Out of address space: returns this thread's caches (magazines, private bits, claimed slabs, so that its
   * empty slabs and chunks reach the pools), then every parked page and cached large block to the address
   * space. True if any was unmapped: the caller then tries its allocation once more.
   */
  giveBack(): boolean {
    this.trim();
    const pages = this.#pools.unmapParked();
    return this.#large.flushCache() || pages;
  }

  /**
   * The u32 index of the page-map entry of `ptr`, under synced views.
   * @throws RangeError when `ptr` is not a pointer into the heap's span.
   */
  #entryOf(ptr: Ptr): number {
    assertPtr(ptr);
    if (ptr >= this.#maxBytes) throw notABlock(ptr);
    this.#ctx.sync();
    return entryIndex(this.#ctx.map, ptr);
  }

  /** A medium block of `size` bytes, or 0 when out of memory even after {@link SlowPaths.giveBack}. */
  #allocMedium(size: number): Ptr {
    this.#ctx.sync();
    let ptr = this.#medium.alloc(size);
    if (ptr === NULL && this.giveBack()) ptr = this.#medium.alloc(size);
    return ptr;
  }
}

/**
 * True when `size` bytes at `align` fit the block at `ptr` of page-map kind `kind` and `usable` bytes without
 * wasting more than a new block would: a large block within a granule, a medium block within a unit, a small
 * block of the same class.
 */
function fitsInPlace(kind: number, ptr: Ptr, usable: number, size: number, align: number): boolean {
  if (ptr % align !== 0 || size > usable) return false;
  if (usable > MAX_SMALL) return size > usable - GRANULE;
  if (kind === KIND_MEDIUM) return size >= MEDIUM_MIN && size > usable - UNIT;
  return classOf(Math.max(size, align)) === classOf(usable);
}

function notABlock(ptr: Ptr): RangeError {
  return new RangeError(`ptr ${ptr} is not a block of this heap`);
}
