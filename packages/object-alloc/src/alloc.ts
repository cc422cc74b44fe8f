/**
 * The contracts every allocator of the suite implements.
 *
 * @module
 */
import type { Layout } from "./layout.js";
import type { Memory } from "./memory.js";

/** A pointer: a byte offset into an allocator's {@link Memory}. 0 is null. */
export type Ptr = number;

/** The null pointer, returned when an allocation fails. */
export const NULL: Ptr = 0;

/**
 * The general allocator, as Rust's `Alloc` and C's malloc family.
 *
 * Contract:
 * - `size` is an integer in `[0, 2^32]` and `align` a power of two (default 1); anything else throws a
 *   `RangeError` naming the argument. A size of 0 returns a unique, non-null minimal block.
 * - Out of memory returns {@link NULL} and never throws; the allocator stays usable.
 * - A returned pointer is aligned to `align`, and its block of at least `size` bytes overlaps no other live block.
 * - `dealloc(NULL)` does nothing; `size` and `align` passed to `dealloc` are optional hints.
 * - `realloc(ptr, newSize, align)` keeps the first `min(old, new)` bytes and the alignment; `realloc(NULL, n)` is
 *   `alloc(n)`. When it fails it returns {@link NULL} and leaves the old block allocated and untouched.
 * - `usableSize(ptr)` is at least the size requested for the live block `ptr`; all of it may be used.
 */
export interface Alloc {
  /** The heap the pointers address. */
  readonly memory: Memory;
  /** A block of at least `size` bytes aligned to `align`, or {@link NULL} when out of memory. */
  alloc(size: number, align?: number): Ptr;
  /** As {@link Alloc.alloc}, with every byte of the block zero. */
  allocZeroed(size: number, align?: number): Ptr;
  /** Returns the live block `ptr`. */
  dealloc(ptr: Ptr, size?: number, align?: number): void;
  /** Resizes the live block `ptr`, moving it when needed; {@link NULL} (old block untouched) on failure. */
  realloc(ptr: Ptr, newSize: number, align?: number): Ptr;
  /** The bytes usable at `ptr`: at least what was requested. */
  usableSize(ptr: Ptr): number;
}

/**
 * An allocator that can tell whether it handed out a pointer (the `BlockOwner` of Rust's `allocators` crate).
 * `owns(ptr)` is true for every live block it returned and false for pointers of other allocators sharing the
 * same memory; for freed blocks the answer is unspecified.
 */
export interface BlockOwner {
  owns(ptr: Ptr): boolean;
}

/**
 * An allocator of fixed-layout, untyped blocks (Rust's `UntypedObjectAlloc`). No initialisation guarantee:
 * a block may hold whatever it held before.
 */
export interface UntypedObjectAlloc {
  /** The size and alignment of every block. */
  readonly layout: Layout;
  /** The heap the pointers address. */
  readonly memory: Memory;
  /** A block of `layout`, or {@link NULL} when out of memory. */
  alloc(): Ptr;
  /** Returns the live block `ptr`. */
  dealloc(ptr: Ptr): void;
}

/**
 * An allocator of JavaScript objects (Rust's `ObjectAlloc<T>`).
 *
 * The constructed-object caching contract: `alloc()` returns an object that is either freshly constructed by
 * the allocator's constructor, or in exactly the state it had when it was last passed to `dealloc` (the
 * allocator may run a documented reset on it in between). It returns `null` only when out of memory.
 * After `dealloc(obj)` the caller must not use `obj`; the allocator may hand it out again.
 */
export interface ObjectAlloc<T> {
  alloc(): T | null;
  dealloc(obj: T): void;
}

/**
 * Moves the live block `ptr` of `from` into a new block of `newSize` bytes from `to`: allocates, copies the
 * bytes both blocks hold, then frees the old block. Returns {@link NULL}, with `ptr` untouched and still live,
 * when `to` is out of memory. Both allocators must share one memory; `from` may be `to`.
 */
export function relocate(from: Alloc, to: Alloc, ptr: Ptr, newSize: number, align?: number): Ptr {
  const moved = to.alloc(newSize, align);
  if (moved === NULL) return NULL;
  const kept = Math.min(from.usableSize(ptr), newSize);
  to.memory.u8.copyWithin(moved, ptr, ptr + kept);
  from.dealloc(ptr);
  return moved;
}

/** Throws a `TypeError` unless every allocator addresses the same buffer, as composed allocators must. */
export function assertSameMemory(...allocs: { readonly memory: Memory }[]): void {
  const buffer = allocs[0]?.memory.buffer;
  if (allocs.some((a) => a.memory.buffer !== buffer)) {
    throw new TypeError(
      "composed allocators must allocate in the same memory (pointers are offsets into it)",
    );
  }
}
