/**
 * Untyped object allocators ({@link UntypedObjectAlloc}) under the general checks: a fixed-layout allocator
 * is a general one asked always for its one layout.
 *
 * @module
 */
import type { UntypedObjectAlloc } from "@allocators/object-alloc";
import type { Target } from "./session.js";

/** The allocator as a session target whose every request is its layout (the session asks only that). */
export function untypedTarget(untyped: UntypedObjectAlloc): Target {
  return {
    get memory() {
      return untyped.memory;
    },
    alloc: () => untyped.alloc(),
    dealloc: (ptr) => untyped.dealloc(ptr),
  };
}
