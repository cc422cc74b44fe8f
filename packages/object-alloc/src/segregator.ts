/**
 * SegregatorAlloc: small requests to one allocator, large ones to another.
 *
 * @module
 */
import { type Alloc, assertSameMemory, type BlockOwner, NULL, type Ptr, relocate } from "./alloc.js";
import { assertSize, MAX_SIZE } from "./layout.js";
import type { Memory } from "./memory.js";

type MaybeOwner = Alloc & Partial<BlockOwner>;

/**
 * Sends requests of at most `threshold` bytes to `small` and larger ones to `large` (D's `Segregator`).
 *
 * A block is freed by the allocator that owns it, so at least one of the two must be a {@link BlockOwner}
 * (checked at construction): the size passed to `dealloc` is only a hint and is not trusted for routing.
 * A realloc across the threshold moves the block from one allocator to the other.
 */
export class SegregatorAlloc implements Alloc, BlockOwner {
  constructor(
    readonly threshold: number,
    readonly small: MaybeOwner,
    readonly large: MaybeOwner,
  ) {
    assertSize(threshold, "threshold", MAX_SIZE);
    assertSameMemory(small, large);
    if (!small.owns && !large.owns) {
      throw new TypeError("SegregatorAlloc needs small or large to implement owns() to route frees");
    }
  }

  get memory(): Memory {
    return this.small.memory;
  }

  alloc(size: number, align = 1): Ptr {
    return this.#forSize(size).alloc(size, align);
  }

  allocZeroed(size: number, align = 1): Ptr {
    return this.#forSize(size).allocZeroed(size, align);
  }

  dealloc(ptr: Ptr, size?: number, align?: number): void {
    if (ptr !== NULL) this.#owner(ptr).dealloc(ptr, size, align);
  }

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    const from = this.#owner(ptr);
    const to = this.#forSize(newSize);
    return from === to ? from.realloc(ptr, newSize, align) : relocate(from, to, ptr, newSize, align);
  }

  usableSize(ptr: Ptr): number {
    return this.#owner(ptr).usableSize(ptr);
  }

  /**
   * True when either allocator owns `ptr`.
   * @throws TypeError when the answer needs an allocator that cannot answer `owns`.
   */
  owns(ptr: Ptr): boolean {
    if (!this.small.owns || !this.large.owns) {
      throw new TypeError("SegregatorAlloc.owns() needs both allocators to implement owns()");
    }
    return this.small.owns(ptr) || this.large.owns(ptr);
  }

  #forSize(size: number): Alloc {
    return size <= this.threshold ? this.small : this.large;
  }

  #owner(ptr: Ptr): Alloc {
    if (this.small.owns) return this.small.owns(ptr) ? this.small : this.large;
    return this.large.owns!(ptr) ? this.large : this.small;
  }
}
