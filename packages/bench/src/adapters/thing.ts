/**
 * @thi.ng/malloc's MemPool: a first-fit free list over one buffer. Not thread-safe, so it is either private
 * to each worker, or shared over a SharedArrayBuffer behind a lock (what a user would add around it).
 *
 * @module
 */
import { MemPool } from "@thi.ng/malloc";
import { checkBytes, fillBytes, type HeapAdapter, pokeBytes } from "./adapter.js";
import { Mutex } from "./mutex.js";

export class ThingHeap implements HeapAdapter {
  readonly #pool: MemPool;
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #lock: Mutex | undefined;
  /** The highest `top` seen: blocks freed at the top go back to the bump region, so `top` falls again. */
  #peakTop = 0;

  /** A pool over `buffer`; with `lock`, it attaches to a pool another thread initialised. */
  constructor(buffer: ArrayBufferLike, lock?: SharedArrayBuffer) {
    this.#pool = new MemPool({ buf: buffer as ArrayBuffer, skipInitialization: lock !== undefined });
    this.#u8 = new Uint8Array(buffer);
    this.#i32 = new Int32Array(buffer, 0, this.#u8.length >>> 2);
    this.#lock = lock && new Mutex(lock);
  }

  /** Initialises a pool in a new SharedArrayBuffer for {@link ThingHeap} with a lock. */
  static createShared(heapBytes: number): { buffer: SharedArrayBuffer; lock: SharedArrayBuffer } {
    const buffer = new SharedArrayBuffer(heapBytes);
    new MemPool({ buf: buffer as unknown as ArrayBuffer });
    return { buffer, lock: Mutex.create() };
  }

  malloc(size: number): number {
    this.#lock?.lock();
    const ptr = this.#pool.malloc(size);
    // MemPool's `top` is a protected getter over the pool's header: one u32 read.
    const top = (this.#pool as unknown as { top: number }).top;
    this.#lock?.unlock();
    if (top > this.#peakTop) this.#peakTop = top;
    return ptr;
  }

  free(ptr: number): void {
    this.#lock?.lock();
    this.#pool.free(ptr);
    this.#lock?.unlock();
  }

  fill(ptr: number, size: number, value: number): void {
    fillBytes(this.#u8, this.#i32, ptr, size, value);
  }

  poke(ptr: number, size: number, value: number): void {
    pokeBytes(this.#u8, ptr, size, value);
  }

  check(ptr: number, size: number, value: number): boolean {
    return checkBytes(this.#u8, ptr, size, value);
  }

  view(ptr: number, size: number): Uint8Array {
    return this.#u8.subarray(ptr, ptr + size);
  }

  peek(ptr: number): number {
    return this.#u8[ptr];
  }

  /** The pool's high-water mark (the highest bump pointer `top`): memory it has ever handed out. */
  committedBytes(): number {
    return this.#peakTop;
  }

  dispose(): void {
    this.#pool.release();
  }
}
