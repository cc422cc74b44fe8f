/**
 * Layout finding: `free(p)` carries no size, so a binding must recover each block's layout from its pointer.
 * Three strategies, as in the Rust original's `LayoutFinder`: the allocator's own lookup (`usableSize`), an
 * external finder, or a header in front of every block.
 *
 * @module
 */
import { type Alloc, assertPtr, type Memory, NULL, type Ptr } from "@allocators/object-alloc";

/**
 * An allocator with no lookup: it cannot tell a block's size from its pointer, so `dealloc` needs the exact
 * size and alignment the block was allocated with, as Rust's `GlobalAlloc::dealloc`. It is recognised by the
 * absence of a `usableSize` method.
 */
export interface RawAlloc {
  readonly memory: Memory;
  /** A block of at least `size` bytes aligned to `align`, or 0 when out of memory. */
  alloc(size: number, align: number): Ptr;
  /** Returns the block `ptr`, allocated with exactly this `size` and `align`. */
  dealloc(ptr: Ptr, size: number, align: number): void;
  /** As `alloc`, zeroed; when absent the binding zeroes the block itself. */
  allocZeroed?(size: number, align: number): Ptr;
  readonly usableSize?: undefined;
}

/**
 * Maps a live block to its layout, as the Rust original's `LayoutFinder` trait: `insertLayout` is called right
 * after every allocation, `deleteLayout` right before every deallocation, and the layout queries in between.
 */
export interface LayoutFinder {
  insertLayout?(ptr: Ptr, size: number, align: number): void;
  deleteLayout?(ptr: Ptr): void;
  /** The size `ptr` was allocated with. */
  layoutSize(ptr: Ptr): number;
  /** The alignment `ptr` was allocated with. */
  layoutAlign(ptr: Ptr): number;
}

/**
 * What the C functions need of an allocator once layouts can be found. Sizes arrive validated: integers no larger
 * than {@link Blocks.limit} minus {@link Blocks.overhead}; alignments powers of two.
 */
export interface Blocks {
  readonly memory: Memory;
  /** Bytes a block costs beyond its size and alignment (the header), so callers can bound requests. */
  overhead(align: number): number;
  allocate(size: number, align: number, zeroed: boolean): Ptr;
  release(ptr: Ptr): void;
  /** C realloc of a live block to `size` > 0: the new block, or NULL with `ptr` untouched. */
  resize(ptr: Ptr, size: number, align: number): Ptr;
  usable(ptr: Ptr): number;
}

/** The allocator knows its blocks (`usableSize`): every call forwards, nothing is added. elfmalloc's case. */
export class LookupBlocks implements Blocks {
  constructor(readonly alloc: Alloc) {}
  get memory(): Memory {
    return this.alloc.memory;
  }
  overhead(): number {
    return 0;
  }
  allocate(size: number, align: number, zeroed: boolean): Ptr {
    return zeroed ? this.alloc.allocZeroed(size, align) : this.alloc.alloc(size, align);
  }
  release(ptr: Ptr): void {
    this.alloc.dealloc(ptr);
  }
  resize(ptr: Ptr, size: number, align: number): Ptr {
    return this.alloc.realloc(ptr, size, align);
  }
  usable(ptr: Ptr): number {
    return this.alloc.usableSize(ptr);
  }
}

/** A {@link RawAlloc} whose layouts a {@link LayoutFinder} keeps. */
export class FinderBlocks implements Blocks {
  constructor(
    readonly alloc: RawAlloc,
    readonly finder: LayoutFinder,
  ) {}
  get memory(): Memory {
    return this.alloc.memory;
  }
  overhead(): number {
    return 0;
  }
  allocate(size: number, align: number, zeroed: boolean): Ptr {
    const ptr = allocRaw(this.alloc, size, align, zeroed);
    if (ptr !== NULL) this.finder.insertLayout?.(ptr, size, align);
    return ptr;
  }
  release(ptr: Ptr): void {
    const size = this.finder.layoutSize(ptr);
    const align = this.finder.layoutAlign(ptr);
    this.finder.deleteLayout?.(ptr);
    this.alloc.dealloc(ptr, size, align);
  }
  resize(ptr: Ptr, size: number, align: number): Ptr {
    const moved = this.allocate(size, align, false);
    if (moved === NULL) return NULL;
    copy(this.memory, ptr, moved, Math.min(size, this.finder.layoutSize(ptr)));
    this.release(ptr);
    return moved;
  }
  usable(ptr: Ptr): number {
    return this.finder.layoutSize(ptr);
  }
}

/** Bytes of the header in front of every block in {@link HeaderBlocks}. */
const HEADER = 8;

/**
 * A {@link RawAlloc} with a header in front of each block that records its layout:
 * ```
 * raw (aligned to A)                          ptr = raw + A (aligned to A)
 * |  padding (A - 8 bytes) | size u32 | A u32 | block of `size` bytes ...
 *                          ^ ptr - 8
 * ```
 * `A = max(align, 8)` is both the alignment of the raw block and the offset of `ptr` in it, so one u32 gives
 * back the alignment and the raw pointer, and the raw layout is `(A + size, A)`. Large alignments cost their
 * size in padding (a page for `valloc`), as in any header-based malloc.
 */
export class HeaderBlocks implements Blocks {
  constructor(readonly alloc: RawAlloc) {}
  get memory(): Memory {
    return this.alloc.memory;
  }
  overhead(align: number): number {
    return Math.max(align, HEADER);
  }
  allocate(size: number, align: number, zeroed: boolean): Ptr {
    const offset = this.overhead(align);
    const raw = allocRaw(this.alloc, offset + size, offset, zeroed);
    if (raw === NULL) return NULL;
    const ptr = raw + offset;
    const u32 = this.memory.u32;
    u32[(ptr - HEADER) >>> 2] = size;
    u32[(ptr - 4) >>> 2] = offset;
    return ptr;
  }
  release(ptr: Ptr): void {
    const offset = this.#offset(ptr);
    this.alloc.dealloc(ptr - offset, offset + this.memory.u32[(ptr - HEADER) >>> 2], offset);
  }
  resize(ptr: Ptr, size: number, align: number): Ptr {
    const kept = Math.min(size, this.usable(ptr));
    const moved = this.allocate(size, align, false);
    if (moved === NULL) return NULL;
    copy(this.memory, ptr, moved, kept);
    this.release(ptr);
    return moved;
  }
  usable(ptr: Ptr): number {
    this.#offset(ptr);
    return this.memory.u32[(ptr - HEADER) >>> 2];
  }

  /** The header's alignment offset, after checking it could belong to a block: catches most wild pointers. */
  #offset(ptr: Ptr): number {
    assertPtr(ptr);
    const inHeap = ptr % HEADER === 0 && ptr >= HEADER && ptr <= this.memory.u8.byteLength;
    const offset = inHeap ? this.memory.u32[(ptr - 4) >>> 2] : 0;
    if (!(offset >= HEADER && offset <= ptr && (offset & (offset - 1)) === 0)) {
      throw new RangeError(`ptr ${ptr} is not a block of this malloc (no valid header in front of it)`);
    }
    return offset;
  }
}

function allocRaw(alloc: RawAlloc, size: number, align: number, zeroed: boolean): Ptr {
  if (zeroed && alloc.allocZeroed) return alloc.allocZeroed(size, align);
  const ptr = alloc.alloc(size, align);
  if (zeroed && ptr !== NULL) alloc.memory.u8.fill(0, ptr, ptr + size);
  return ptr;
}

function copy(memory: Memory, from: Ptr, to: Ptr, bytes: number): void {
  memory.u8.copyWithin(to, from, from + bytes);
}
