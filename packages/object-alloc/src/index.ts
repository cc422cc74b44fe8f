/**
 * @allocators/object-alloc: the contracts every allocator of allocators-ts implements, and combinators that
 * need nothing else.
 *
 * @packageDocumentation
 */
export {
  type Alloc,
  assertSameMemory,
  type BlockOwner,
  NULL,
  type ObjectAlloc,
  type Ptr,
  relocate,
  type UntypedObjectAlloc,
} from "./alloc.js";
export { ArenaAlloc } from "./arena.js";
export {
  claimLowestClearBit,
  highestBit,
  lowestBit,
  nextPowerOfTwo,
  popcount,
  takeLowestBit,
} from "./bits.js";
export { FallbackAlloc } from "./fallback.js";
export {
  alignDown,
  alignUp,
  assertAlign,
  assertPtr,
  assertSize,
  isPowerOfTwo,
  Layout,
  MAX_ALIGN,
  MAX_SIZE,
} from "./layout.js";
export { type BufferSource, type Memory, MemoryViews } from "./memory.js";
export { NullAlloc } from "./null-alloc.js";
export { SegregatorAlloc } from "./segregator.js";
export { type TraceEvent, type TraceSink, type TraceStats, TracingAlloc } from "./tracing.js";
