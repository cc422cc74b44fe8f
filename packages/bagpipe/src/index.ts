/**
 * @allocators/bagpipe: lock-free queues, a lock-free stack and the sharded BagPipe, all on 32-bit Atomics in
 * shared memory, each attachable from another worker and usable as a blocking or async channel.
 *
 * @packageDocumentation
 */
export { BagPipe, type BagPipeOptions, MAX_BAGPIPE_CELLS } from "./bagpipe.js";
export { Channel, type PopOptions } from "./channel.js";
export { MAX_QUEUE_CAPACITY, Queue, type QueueOptions, STALL_SPINS } from "./queue.js";
export { type Descriptor, EMPTY, type MemoryLike, Region } from "./region.js";
export { MAX_STACK_CAPACITY, Stack, type StackOptions } from "./stack.js";
