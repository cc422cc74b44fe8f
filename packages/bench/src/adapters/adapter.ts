/**
 * What a workload sees of an allocator: a heap of blocks named by numbers (0 is "out of memory"), with a few
 * ways to touch their bytes. Every allocator and peer is one adapter, so every workload runs them all.
 *
 * A heap that several workers share (`shared`) is created once on the main thread and opened in each worker
 * from a structured-clonable {@link AdapterSource}; the others (`private`) are created afresh in each worker,
 * which is what a JavaScript user of a single-threaded allocator would do.
 *
 * @module
 */

/** One open heap, in one thread. */
export interface HeapAdapter {
  /** Allocates `size` bytes; 0 when out of memory. */
  malloc(size: number): number;
  /** Frees a block; `size` is the size it was allocated with (for allocators that want it). */
  free(ptr: number, size: number): void;
  /** Writes `value` to every byte of the block. */
  fill(ptr: number, size: number, value: number): void;
  /** Writes `value` to the first byte and to one byte in every 4 KiB page (touches the memory). */
  poke(ptr: number, size: number, value: number): void;
  /** Is every byte of the block equal to `value`? */
  check(ptr: number, size: number, value: number): boolean;
  /** The first byte of the block. */
  peek(ptr: number): number;
  /** The block's bytes as a view (a new view object: not for hot paths). */
  view(ptr: number, size: number): Uint8Array;
  /** Bytes the heap holds from the engine (its buffer, or for the GC the engine's heap growth). */
  committedBytes(): number;
  /** Gives the heap's memory back (the adapter is unusable afterwards). */
  dispose(): void;
}

/** How a worker opens a heap: a new private one, or a shared one by its descriptor. */
export type AdapterSource =
  | { kind: "gc" }
  | { kind: "thing"; heapBytes: number }
  | { kind: "thing-locked"; buffer: SharedArrayBuffer; lock: SharedArrayBuffer }
  | { kind: "tlsf"; module: WebAssembly.Module }
  | { kind: "elfmalloc"; descriptor: unknown };

/** A contender of the workloads: an allocator or a peer, with how to hand its heap to workers. */
export interface Contender {
  /** The label in tables and charts. */
  name: string;
  /** One heap for all workers (thread-safe), or one private heap per worker. */
  shared: boolean;
  /** Multiplies a workload's iterations (below 1 for peers that are orders of magnitude slower). */
  scale: number;
  /** Creates the heap (shared) or the recipe for one (private), with room for `heapBytes`. */
  source(heapBytes: number): AdapterSource;
  /** Frees what `source` created on the main thread. */
  release?(source: AdapterSource): void;
}

/** Copies a byte into every 4 KiB page of `u8[ptr, ptr+size)` and the first byte. */
export function pokeBytes(u8: Uint8Array, ptr: number, size: number, value: number): void {
  u8[ptr] = value;
  for (let at = ptr + 4096; at < ptr + size; at += 4096) u8[at] = value;
}

/**
 * Writes `value` to every byte of `u8[ptr, ptr + size)`, by 32-bit words through `i32` (a view of the same
 * buffer) between the unaligned ends. Not `u8.fill`: on a SharedArrayBuffer it stores byte by byte with atomic
 * semantics, 64 ns for 64 B against 15 ns by words (Node 20), which charged the shared heaps (elfmalloc,
 * `@thi.ng/malloc + lock`) for the bench's own writes: a producer's fill was most of a block's cost.
 */
export function fillBytes(u8: Uint8Array, i32: Int32Array, ptr: number, size: number, value: number): void {
  const end = ptr + size;
  let at = ptr;
  for (; at < end && (at & 3) !== 0; at++) u8[at] = value;
  const word = (value & 255) * 0x01010101;
  for (; at + 4 <= end; at += 4) i32[at >>> 2] = word;
  for (; at < end; at++) u8[at] = value;
}

/** Is every byte of `u8[ptr, ptr+size)` equal to `value`? */
export function checkBytes(u8: Uint8Array, ptr: number, size: number, value: number): boolean {
  for (let at = ptr; at < ptr + size; at++) if (u8[at] !== value) return false;
  return true;
}
