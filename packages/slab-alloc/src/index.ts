/**
 * @allocators/slab-alloc: Bonwick's object-caching slab allocator over an address space, garbage-free pools of
 * JavaScript objects, and typed accessors for structs in slabs.
 *
 * @packageDocumentation
 */

export type { SlabStats } from "./audit.js";
export { MIN_OBJECTS_PER_SLAB, type SlabKind } from "./geometry.js";
export { ObjectPool, type ObjectPoolOptions, type ObjectPoolStats } from "./object-pool.js";
export type { SlabAllocOptions } from "./options.js";
export { type PageSource, SlabAlloc } from "./slab-alloc.js";
export {
  FIELD_BYTES,
  type Field,
  type FieldType,
  type StructAccessors,
  type StructType,
  struct,
} from "./struct.js";
