/**
 * @allocators/bsalloc: a small lock-free allocator for other allocators' metadata, inside a shared address
 * space, found by every worker that attaches it.
 *
 * @packageDocumentation
 */
export type { BsAllocStats, ClassStats } from "./audit.js";
export { BsAlloc, type BsAllocDescriptor, type BsAllocOptions } from "./bsalloc.js";
export { CHUNK_SIZES, LARGEST_CHUNK, SEGMENT_BYTES } from "./size-classes.js";
