/**
 * MapAlloc: an allocator that maps a run of pages for every allocation (the original's `MapAlloc`).
 *
 * @module
 */
import {
  type Alloc,
  assertAlign,
  assertSize,
  type BlockOwner,
  Layout,
  type Memory,
  NULL,
  type Ptr,
  type UntypedObjectAlloc,
} from "@allocators/object-alloc";
import type { AddressSpace } from "./address-space.js";

/** Options of {@link MapAlloc}: the layout of its {@link UntypedObjectAlloc} blocks. */
export interface MapAllocOptions {
  /** Bytes per object block; the space's page size by default. */
  objSize?: number;
  /** Alignment of object blocks (may exceed the page size); the page size by default. */
  objAlign?: number;
}

/**
 * Maps each allocation as its own run of pages of an {@link AddressSpace}, and unmaps it on `dealloc`: the
 * simplest allocator, for large blocks and as the page source of other allocators. Blocks come zeroed, are
 * page-aligned (or `align`-aligned above that), and their usable size is the whole run. Its runs carry the
 * label {@link MapAlloc.LABEL}, so `owns` tells them from runs other allocators mapped in the same space.
 *
 * Thread-safe as the address space is; several `MapAlloc`s over handles of one space (one per worker) share
 * the same blocks, and any of them may free a block another allocated.
 *
 * @example
 * ```ts
 * const heap = new MapAlloc(AddressSpace.create({ maxBytes: 1 << 30 }));
 * const p = heap.alloc(100_000);       // 25 zeroed pages
 * heap.usableSize(p);                  // 102400
 * const q = heap.realloc(p, 1 << 20);  // grows in place when the next pages are free
 * heap.dealloc(q);
 * ```
 */
export class MapAlloc implements Alloc, UntypedObjectAlloc, BlockOwner {
  /** The run label of MapAlloc blocks. */
  static readonly LABEL = 1;
  /** The layout of {@link MapAlloc.alloc} without arguments. */
  readonly layout: Layout;

  /**
   * @param space the address space to map from
   * @throws RangeError naming `objSize` (not from 1 to 2^32) or `objAlign` (not a power of two).
   */
  constructor(
    readonly space: AddressSpace,
    options: MapAllocOptions = {},
  ) {
    const objSize = options.objSize ?? space.pageSize;
    assertSize(objSize, "objSize");
    if (objSize === 0) throw new RangeError("objSize must be an integer from 1 to 4294967296; got 0");
    this.layout = Layout.from(objSize, options.objAlign ?? space.pageSize);
  }

  /** The memory the blocks live in: the address space. */
  get memory(): Memory {
    return this.space;
  }

  /**
   * A zeroed block of at least `size` bytes aligned to `align` (without arguments: one of {@link MapAlloc.layout}),
   * or {@link NULL} when the space is full. A size of 0 gets one page.
   */
  alloc(size?: number, align = 1): Ptr {
    if (size === undefined) return this.space.map(this.layout.size, this.layout.align, MapAlloc.LABEL);
    assertSize(size);
    assertAlign(align);
    return this.space.map(Math.max(size, 1), Math.max(align, this.space.pageSize), MapAlloc.LABEL);
  }

  /** As {@link MapAlloc.alloc}: mapped pages are always zero. */
  allocZeroed(size: number, align = 1): Ptr {
    return this.alloc(size, align);
  }

  /** Unmaps the block `ptr`; `NULL` does nothing. The size and alignment hints are not needed. */
  dealloc(ptr: Ptr): void {
    if (ptr === NULL) return;
    this.space.unmap(ptr, this.usableSize(ptr));
  }

  /**
   * Resizes the block `ptr` with {@link AddressSpace.remap}: in place when the following pages are free,
   * else moved (to a run aligned to `align`). {@link NULL}, with the old block untouched, when there is no room.
   */
  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    assertSize(newSize, "newSize");
    assertAlign(align);
    const oldSize = this.usableSize(ptr);
    return this.space.remap(ptr, oldSize, Math.max(newSize, 1), Math.max(align, this.space.pageSize));
  }

  /**
   * The bytes of the block: its whole run of pages.
   * @throws RangeError naming `ptr` when it is not a live block of a MapAlloc of this space.
   */
  usableSize(ptr: Ptr): number {
    if (!this.owns(ptr)) throw new RangeError(`ptr ${ptr} is not a live block of this MapAlloc`);
    return this.space.runSize(ptr);
  }

  /** True when `ptr` is the start of a run mapped by a MapAlloc of this space. */
  owns(ptr: Ptr): boolean {
    return Number.isInteger(ptr) && ptr > 0 && this.space.runLabel(ptr) === MapAlloc.LABEL;
  }
}
