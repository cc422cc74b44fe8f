/**
 * How the heap's buffer grows. The address space grows its buffer by half its length whenever a mapping does
 * not fit, and a grown buffer never shrinks: a heap that needs 5.9 MiB from a 5.8 MiB buffer would hold 8.75
 * MiB for good. So before each mapping of slabs or large blocks, elfmalloc makes room itself, in smaller steps:
 * what the mapping lacks, and at least 1/32 of the buffer (a bounded number of growths, as with the
 * address space's own steps). The address space then finds the room and does not grow the buffer.
 *
 * Only buffers JavaScript can grow in place by an absolute length are grown here (a growable
 * `SharedArrayBuffer`, a resizable `ArrayBuffer`): growing to a length is idempotent, so two workers making room
 * at once grow it once, and the address space's views follow growth by anyone. A `WebAssembly.Memory` grows by
 * a delta and is left to the address space.
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";

/** The smallest growth step is the buffer's length divided by this. */
const STEP_DIVISOR = 32;

/**
 * Grows the space's buffer so that `bytes` more can be mapped at its end without the address space growing
 * it, unless they fit there already or the free pages inside it add up to them (a run there may hold them).
 * Best effort: a buffer that cannot grow here, or free pages inside it split into runs too short, leave the
 * growth to the address space.
 */
export function makeRoom(space: AddressSpace, bytes: number, granule: number): void {
  const buffer = space.buffer;
  const growable = buffer instanceof SharedArrayBuffer ? buffer.growable : (buffer as ArrayBuffer).resizable;
  if (!growable) return;
  const { freeBytes, committedBytes, largestFreeRun } = space.stats();
  // The free run at the end reaches past the buffer to maxBytes, so it is the longest one (unless the buffer
  // is nearly full grown, when this only overstates the room at the end: then nothing grows here).
  const tail = Math.max(0, committedBytes - (space.maxBytes - largestFreeRun));
  if (tail >= bytes || freeBytes - tail >= bytes) return;
  const limit =
    buffer instanceof SharedArrayBuffer ? buffer.maxByteLength : (buffer as ArrayBuffer).maxByteLength;
  const step = Math.max(bytes - tail, Math.floor(committedBytes / STEP_DIVISOR));
  const target = Math.min(limit, Math.ceil((committedBytes + step) / granule) * granule);
  if (target <= buffer.byteLength) return;
  try {
    if (buffer instanceof SharedArrayBuffer) buffer.grow(target);
    else (buffer as ArrayBuffer).resize(target);
  } catch {
    // Another worker grew it past `target` meanwhile (a SharedArrayBuffer does not shrink), or the engine
    // refused: either way the address space's own growth still applies.
  }
}
