/**
 * The baseline a JavaScript user would otherwise pick: `new Uint8Array(size)` for each block, dropped to the
 * garbage collector on free. A "pointer" is a slot of a handle table, so that workloads can hold it in an
 * Int32Array like any other pointer.
 *
 * @module
 */
import type { HeapAdapter } from "./adapter.js";

/** The engine's memory in use by this process: the JS heap plus array buffers. */
function engineBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export class GcHeap implements HeapAdapter {
  #blocks: (Uint8Array | undefined)[] = [undefined];
  #freeSlots: number[] = [];
  readonly #base = engineBytes();

  malloc(size: number): number {
    const block = new Uint8Array(size);
    const slot = this.#freeSlots.pop();
    if (slot === undefined) return this.#blocks.push(block) - 1;
    this.#blocks[slot] = block;
    return slot;
  }

  free(ptr: number): void {
    this.#blocks[ptr] = undefined;
    this.#freeSlots.push(ptr);
  }

  fill(ptr: number, _size: number, value: number): void {
    (this.#blocks[ptr] as Uint8Array).fill(value);
  }

  poke(ptr: number, size: number, value: number): void {
    const block = this.#blocks[ptr] as Uint8Array;
    for (let at = 0; at < size; at += 4096) block[at] = value;
  }

  check(ptr: number, _size: number, value: number): boolean {
    const block = this.#blocks[ptr] as Uint8Array;
    for (let at = 0; at < block.length; at++) if (block[at] !== value) return false;
    return true;
  }

  view(ptr: number): Uint8Array {
    return this.#blocks[ptr] as Uint8Array;
  }

  peek(ptr: number): number {
    return (this.#blocks[ptr] as Uint8Array)[0];
  }

  /** The growth of the engine's heap and array buffers since this heap was made (garbage included). */
  committedBytes(): number {
    return Math.max(0, engineBytes() - this.#base);
  }

  dispose(): void {
    this.#blocks = [undefined];
    this.#freeSlots = [];
  }
}
