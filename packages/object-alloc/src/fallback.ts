/**
 * FallbackAlloc: try a primary allocator, use a fallback when it fails.
 *
 * @module
 */
import { type Alloc, assertSameMemory, type BlockOwner, NULL, type Ptr, relocate } from "./alloc.js";
import type { Memory } from "./memory.js";

/**
 * Allocates from `primary` and, when it returns {@link NULL}, from `fallback`. Frees go to whichever owns the
 * block, which `primary.owns` decides, so the primary must be a {@link BlockOwner}. A realloc of a primary block
 * that the primary cannot grow moves the block to the fallback.
 *
 * Both allocators must share one memory (checked at construction).
 */
export class FallbackAlloc implements Alloc, BlockOwner {
  constructor(
    readonly primary: Alloc & BlockOwner,
    readonly fallback: Alloc & Partial<BlockOwner>,
  ) {
    assertSameMemory(primary, fallback);
  }

  get memory(): Memory {
    return this.primary.memory;
  }

  alloc(size: number, align = 1): Ptr {
    const ptr = this.primary.alloc(size, align);
    return ptr !== NULL ? ptr : this.fallback.alloc(size, align);
  }

  allocZeroed(size: number, align = 1): Ptr {
    const ptr = this.primary.allocZeroed(size, align);
    return ptr !== NULL ? ptr : this.fallback.allocZeroed(size, align);
  }

  dealloc(ptr: Ptr, size?: number, align?: number): void {
    if (ptr !== NULL) this.#owner(ptr).dealloc(ptr, size, align);
  }

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    if (!this.primary.owns(ptr)) return this.fallback.realloc(ptr, newSize, align);
    const resized = this.primary.realloc(ptr, newSize, align);
    return resized !== NULL ? resized : relocate(this.primary, this.fallback, ptr, newSize, align);
  }

  usableSize(ptr: Ptr): number {
    return this.#owner(ptr).usableSize(ptr);
  }

  /**
   * True when either allocator owns `ptr`.
   * @throws TypeError when the primary does not own `ptr` and the fallback cannot answer `owns`.
   */
  owns(ptr: Ptr): boolean {
    if (this.primary.owns(ptr)) return true;
    if (!this.fallback.owns) throw new TypeError("the fallback allocator cannot answer owns()");
    return this.fallback.owns(ptr);
  }

  #owner(ptr: Ptr): Alloc {
    return this.primary.owns(ptr) ? this.primary : this.fallback;
  }
}
