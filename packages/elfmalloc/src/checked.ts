/**
 * Checked mode: every small block handed out or freed is marked in its slab's live bit-set (slab.ts), so that a
 * double free, an interior pointer or a pointer into a recycled slab throws instead of corrupting the heap.
 * The facade closes every magazine of the fast paths in this mode (thread-cache.ts), so that every call comes
 * here through a slow path. Medium blocks check themselves against their chunk's bits in every mode.
 *
 * @module
 */
import type { Ptr } from "@allocators/object-alloc";
import type { HandleContext } from "./handle-context.js";
import { entryIndex, KIND_SLAB } from "./page-map.js";
import { SIZE_CLASSES } from "./size-classes.js";
import { blockIndex, markFreed, markLive, slabClass } from "./slab.js";

/**
 * Marks the block at `ptr` of the slab at `base`, of class index `cls`, free.
 * @throws RangeError when it is not the start of a live block of that slab.
 */
export function checkFree(ctx: HandleContext, ptr: Ptr, base: number, cls: number): void {
  ctx.sync();
  const sizeClass = SIZE_CLASSES[cls];
  const index = blockIndex(ptr, base, sizeClass);
  if (slabClass(ctx.i32, base, sizeClass.slabBytes) !== cls || index < 0) {
    throw new RangeError(`free(${ptr}): an interior pointer or a block of a recycled slab`);
  }
  if (!markFreed(ctx.i32, base, sizeClass, index))
    throw new RangeError(`free(${ptr}): double free (the block is not live)`);
}

/**
 * Marks the block at `ptr`, of class index `cls`, live as it is handed out.
 * @throws Error when it already was: the heap is corrupted.
 */
export function checkAlloc(ctx: HandleContext, ptr: Ptr, cls: number): void {
  ctx.sync();
  const sizeClass = SIZE_CLASSES[cls];
  const base = ctx.u32[entryIndex(ctx.map, ptr)] - KIND_SLAB;
  if (!markLive(ctx.i32, base, sizeClass, blockIndex(ptr, base, sizeClass))) {
    throw new Error(`elfmalloc: block ${ptr} handed out while live (heap corrupted)`);
  }
}
