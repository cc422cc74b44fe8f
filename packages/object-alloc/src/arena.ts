/**
 * ArenaAlloc: a bump allocator over a region of a memory, with nested scopes.
 *
 * @module
 */
import { type Alloc, type BlockOwner, NULL, type Ptr, relocate } from "./alloc.js";
import { alignUp, assertAlign, assertPtr, assertSize } from "./layout.js";
import type { Memory } from "./memory.js";

/** Every block is at least 4-aligned, so that its size header is a whole u32. */
const MIN_ALIGN = 4;
const HEADER = 4;

/**
 * Allocates by bumping a pointer through `[start, end)` of `memory`; memory comes back all at once, at the end
 * of a {@link ArenaAlloc.scope} or on {@link ArenaAlloc.reset}.
 *
 * Layout of the region (each block is preceded by its requested size, so `usableSize` and `realloc` work):
 * ```
 * start                                                        top              end
 * |pad|size u32|block 0 ....|pad|size u32|block 1 ..|          |   free ...     |
 *              ^ptr 0 (aligned)          ^ptr 1
 * ```
 * `dealloc` of the most recent block moves `top` back; any other `dealloc` is a no-op. Double frees cannot be
 * detected in an arena: it keeps no per-block state beyond the size.
 *
 * @example
 * ```ts
 * const arena = new ArenaAlloc(new MemoryViews(new ArrayBuffer(65536)), 0, 65536);
 * arena.scope(() => {
 *   const tmp = arena.alloc(1024, 16); // scratch space for this scope only
 * });                                  // everything allocated inside is freed here
 * ```
 */
export class ArenaAlloc implements Alloc, BlockOwner {
  #top: number;

  /**
   * @param memory the memory holding the region
   * @param start the first byte of the region
   * @param end one past the last byte of the region
   * @throws RangeError naming `start` or `end` unless `0 <= start <= end <= memory.u8.byteLength`
   */
  constructor(
    readonly memory: Memory,
    readonly start: number,
    readonly end: number,
  ) {
    assertSize(start, "start", memory.u8.byteLength);
    assertSize(end, "end", memory.u8.byteLength);
    if (end < start) throw new RangeError(`end must be at least start (${start}); got ${end}`);
    this.#top = start;
  }

  /** The first free byte: everything below it is allocated or padding. */
  get top(): number {
    return this.#top;
  }

  /** Bytes between `start` and `top`, headers and padding included. */
  get used(): number {
    return this.#top - this.start;
  }

  alloc(size: number, align = 1): Ptr {
    assertSize(size);
    assertAlign(align);
    const ptr = alignUp(this.#top + HEADER, Math.max(align, MIN_ALIGN));
    if (ptr + size > this.end) return NULL;
    this.memory.u32[(ptr - HEADER) / 4] = size;
    this.#top = ptr + size;
    return ptr;
  }

  allocZeroed(size: number, align = 1): Ptr {
    const ptr = this.alloc(size, align);
    // The region is reused after a scope ends, so a new block may hold old bytes.
    if (ptr !== NULL) this.memory.u8.fill(0, ptr, ptr + size);
    return ptr;
  }

  dealloc(ptr: Ptr): void {
    if (ptr === NULL) return;
    const size = this.usableSize(ptr);
    if (ptr + size === this.#top) this.#top = ptr - HEADER;
  }

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    const size = this.usableSize(ptr);
    assertSize(newSize, "newSize");
    const isLast = ptr + size === this.#top;
    if (newSize <= size || (isLast && ptr + newSize <= this.end)) {
      this.memory.u32[(ptr - HEADER) / 4] = newSize;
      if (isLast) this.#top = ptr + newSize;
      return ptr;
    }
    return relocate(this, this, ptr, newSize, align);
  }

  /**
   * The size of the block at `ptr`.
   * @throws RangeError when `ptr` is not a block of this arena below `top`.
   */
  usableSize(ptr: Ptr): number {
    assertPtr(ptr);
    if (!this.owns(ptr) || ptr % MIN_ALIGN !== 0) {
      throw new RangeError(`ptr ${ptr} is not a block of this arena [${this.start}, ${this.#top})`);
    }
    return this.memory.u32[(ptr - HEADER) / 4];
  }

  /** True when `ptr` lies in the allocated part of the region. */
  owns(ptr: Ptr): boolean {
    return ptr >= this.start + HEADER && ptr <= this.#top;
  }

  /**
   * Runs `fn` and then frees everything allocated since the call, even when `fn` throws. Scopes nest: an inner
   * scope frees only its own blocks. `fn` must be synchronous (a scope cannot span an `await`, because other
   * code could allocate in between): a returned promise is a `TypeError`, raised after the scope is freed.
   */
  scope<R>(fn: (arena: this) => R): R {
    const saved = this.#top;
    try {
      const result = fn(this);
      if (isThenable(result)) throw new TypeError("ArenaAlloc.scope(fn) needs a synchronous fn");
      return result;
    } finally {
      this.#top = saved;
    }
  }

  /** Frees every block of the arena. */
  reset(): void {
    this.#top = this.start;
  }
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
