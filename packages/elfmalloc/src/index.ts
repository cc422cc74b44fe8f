/**
 * @allocators/elfmalloc: a scalable malloc that many workers share over one SharedArrayBuffer or
 * WebAssembly.Memory.
 *
 * @packageDocumentation
 */
export { ElfMalloc, type TypedArrayConstructor } from "./elfmalloc.js";
export type { ElfMallocDescriptor, ElfMallocOptions } from "./heap-layout.js";
export { CHUNK_BYTES, MEDIUM_MAX, MEDIUM_MIN, UNIT } from "./medium-chunk.js";
export { GRANULE } from "./page-map.js";
export { CLASS_COUNT, classOf, MAX_SMALL, MIN_BLOCK, SIZE_CLASSES, type SizeClass } from "./size-classes.js";
export {
  BLOCK_CACHED,
  BLOCK_FREE,
  BLOCK_LIVE,
  BLOCK_PENDING,
  type HeapSnapshot,
  type LargeBlockSnapshot,
  type MediumBlockSnapshot,
  type MediumChunkSnapshot,
  type SlabSnapshot,
  type ThreadClassSnapshot,
  type ThreadSnapshot,
} from "./snapshot.js";
export type { ClassStats, ElfMallocStats } from "./stats.js";
