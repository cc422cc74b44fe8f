import { type Alloc, alignUp, type Memory, NULL, type Ptr } from "@allocators/object-alloc";

/** Where the state lives, as i32 indices from `base`: a spin lock, the bump pointer, the end of the region. */
const LOCK = 0;
const TOP = 1;
const END = 2;
export const STATE_BYTES = 16;

/**
 * A thread-safe stand-in for elfmalloc in the worker tests: a bump allocator whose state lives in the shared
 * memory (at `base`) behind a spin lock, so any worker can attach to it from `base` alone. It never reuses
 * memory (dealloc is a no-op), which is enough to run the C driver from two workers at once.
 * ```
 * base: | lock i32 | top u32 | end u32 | pad | size u32 | block ... | size u32 | block ... |   free   | end
 * ```
 */
export class LockedBump implements Alloc {
  private constructor(
    readonly memory: Memory,
    readonly base: number,
  ) {}

  /** Sets up the state at `base` for the region `[base + STATE_BYTES, end)`. */
  static create(memory: Memory, base: number, end: number): LockedBump {
    const i32 = memory.i32;
    Atomics.store(i32, (base >> 2) + TOP, base + STATE_BYTES);
    Atomics.store(i32, (base >> 2) + END, end);
    Atomics.store(i32, (base >> 2) + LOCK, 0);
    return new LockedBump(memory, base);
  }

  /** Attaches to the state another worker created at `base` of the same shared memory. */
  static attach(memory: Memory, base: number): LockedBump {
    return new LockedBump(memory, base);
  }

  alloc(size: number, align = 1): Ptr {
    const i32 = this.memory.i32;
    const state = this.base >> 2;
    // Acquire: compareExchange is sequentially consistent, so the top read after it is the last one stored.
    while (Atomics.compareExchange(i32, state + LOCK, 0, 1) !== 0);
    const top = i32[state + TOP] >>> 0;
    const ptr = alignUp(top + 4, Math.max(align, 8));
    const fits = ptr + size <= i32[state + END] >>> 0;
    if (fits) {
      this.memory.u32[(ptr - 4) >>> 2] = size;
      i32[state + TOP] = ptr + size;
    }
    // Release: the store publishes the new top before another worker can take the lock.
    Atomics.store(i32, state + LOCK, 0);
    return fits ? ptr : NULL;
  }

  allocZeroed(size: number, align = 1): Ptr {
    const ptr = this.alloc(size, align);
    if (ptr !== NULL) this.memory.u8.fill(0, ptr, ptr + size);
    return ptr;
  }

  dealloc(): void {}

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    const size = this.usableSize(ptr);
    if (newSize <= size) return ptr;
    const moved = this.alloc(newSize, align);
    if (moved !== NULL) this.memory.u8.copyWithin(moved, ptr, ptr + size);
    return moved;
  }

  usableSize(ptr: Ptr): number {
    return this.memory.u32[(ptr - 4) >>> 2];
  }
}
