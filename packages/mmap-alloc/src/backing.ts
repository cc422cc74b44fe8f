/**
 * Backings: the growable buffer behind an address space (the "physical memory" that mmap would get from the
 * operating system), and how each kind grows and is shared.
 *
 * @module
 */
import type { BufferSource } from "@allocators/object-alloc";

/** The unit a `WebAssembly.Memory` grows by. */
export const WASM_PAGE = 65536;

/** What an address space needs from its buffer. */
export interface BufferBacking extends BufferSource {
  /** The bytes the buffer holds now (after growth by any worker). */
  readonly byteLength: number;
  /** The bytes the buffer can ever hold. */
  readonly limit: number;
  /** The unit growth is rounded up to. */
  readonly granule: number;
  /** Grows the buffer to at least `bytes`; false when the engine or the limit refuses. Never shrinks. */
  grow(bytes: number): boolean;
  /** The object another worker needs to reach the same buffer, or undefined when it cannot be shared. */
  readonly shareable: SharedArrayBuffer | WebAssembly.Memory | undefined;
  /** True when growth replaces the buffer and detaches the old one (an unshared `WebAssembly.Memory`). */
  readonly detaches: boolean;
}

/** A growable (or fixed) SharedArrayBuffer. */
export class SharedBacking implements BufferBacking {
  readonly granule = 1;
  readonly detaches = false;
  constructor(readonly buffer: SharedArrayBuffer) {}
  get byteLength(): number {
    return this.buffer.byteLength;
  }
  get limit(): number {
    return this.buffer.growable ? this.buffer.maxByteLength : this.buffer.byteLength;
  }
  get shareable(): SharedArrayBuffer {
    return this.buffer;
  }
  grow(bytes: number): boolean {
    if (bytes <= this.buffer.byteLength) return true;
    if (bytes > this.limit) return false;
    try {
      this.buffer.grow(bytes);
    } catch {
      // Refused by the engine (out of memory), or another agent grew it past `bytes` meanwhile.
    }
    return this.buffer.byteLength >= bytes;
  }
}

/** A resizable ArrayBuffer: one worker only. */
export class LocalBacking implements BufferBacking {
  readonly granule = 1;
  readonly detaches = false;
  readonly shareable = undefined;
  constructor(readonly buffer: ArrayBuffer) {}
  get byteLength(): number {
    return this.buffer.byteLength;
  }
  get limit(): number {
    return this.buffer.resizable ? this.buffer.maxByteLength : this.buffer.byteLength;
  }
  grow(bytes: number): boolean {
    if (bytes <= this.buffer.byteLength) return true;
    if (bytes > this.limit) return false;
    try {
      this.buffer.resize(bytes);
    } catch {
      return false;
    }
    return true;
  }
}

/**
 * A `WebAssembly.Memory`. Its `buffer` is re-read on every access: growth (by this worker, another worker or
 * the wasm module itself) replaces it, and detaches the old one when the memory is not shared.
 */
export class WasmBacking implements BufferBacking {
  readonly granule = WASM_PAGE;
  readonly detaches: boolean;
  constructor(
    readonly memory: WebAssembly.Memory,
    /** The memory's maximum in bytes, as far as the space knows it. */
    readonly limit: number,
  ) {
    this.detaches = !(memory.buffer instanceof SharedArrayBuffer);
  }
  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }
  get shareable(): WebAssembly.Memory | undefined {
    return this.memory.buffer instanceof SharedArrayBuffer ? this.memory : undefined;
  }
  grow(bytes: number): boolean {
    const missing = bytes - this.byteLength;
    if (missing <= 0) return true;
    if (bytes > this.limit) return false;
    try {
      // `grow` takes a delta: growth by the wasm module in between only makes this one larger than needed.
      this.memory.grow(Math.ceil(missing / WASM_PAGE));
    } catch {
      return false;
    }
    return true;
  }
}
