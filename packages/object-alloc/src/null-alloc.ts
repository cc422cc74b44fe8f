/**
 * NullAlloc: the allocator that always fails.
 *
 * @module
 */
import { type Alloc, type BlockOwner, NULL, type Ptr } from "./alloc.js";
import { assertAlign, assertPtr, assertSize } from "./layout.js";
import type { Memory } from "./memory.js";

/**
 * Fails every request with {@link NULL} after validating it. Useful as the last link of a chain, to test
 * out-of-memory paths, and as the identity of {@link FallbackAlloc}. It owns nothing, so freeing or asking the
 * size of any non-null pointer throws a `RangeError`.
 */
export class NullAlloc implements Alloc, BlockOwner {
  constructor(readonly memory: Memory) {}

  alloc(size: number, align = 1): Ptr {
    assertSize(size);
    assertAlign(align);
    return NULL;
  }

  allocZeroed(size: number, align = 1): Ptr {
    return this.alloc(size, align);
  }

  dealloc(ptr: Ptr): void {
    assertPtr(ptr);
    if (ptr !== NULL) throw notMine(ptr);
  }

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    this.dealloc(ptr);
    return this.alloc(newSize, align);
  }

  usableSize(ptr: Ptr): number {
    throw notMine(ptr);
  }

  owns(): boolean {
    return false;
  }
}

function notMine(ptr: Ptr): RangeError {
  return new RangeError(`ptr ${ptr} was not allocated by NullAlloc, which allocates nothing`);
}
