/**
 * The memory an allocator hands out pointers into, and views on it that survive growth.
 *
 * @module
 */

/**
 * What an allocator exposes of its heap: the buffer and typed views over all of it. A pointer `p` returned by
 * the allocator addresses `u8[p]`, `u32[p >>> 2]` (when 4-aligned), `f64[p >>> 3]` (when 8-aligned) and
 * `view.getFloat32(p, true)` at any alignment.
 *
 * The views are always current: after the heap grows (in this worker or another), reading a view property
 * again returns a view over the whole grown heap. Keep the `Memory`, not a view, across calls that may grow it.
 */
export interface Memory {
  /** The current buffer. For a `WebAssembly.Memory` this changes when it grows. */
  readonly buffer: ArrayBufferLike;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly view: DataView;
}

/** Anything whose `buffer` property is the current buffer: a `WebAssembly.Memory`, or a plain holder. */
export interface BufferSource {
  readonly buffer: ArrayBufferLike;
}

/**
 * A {@link Memory} over a buffer source, rebuilding its views only when the source's buffer changes.
 *
 * Why identity is enough: views on a growable `SharedArrayBuffer` or a resizable `ArrayBuffer` are created
 * length-tracking and follow growth by themselves; a `WebAssembly.Memory` returns a new buffer object from
 * `memory.buffer` after every growth (and detaches the old one when it is not shared). So the views are stale
 * exactly when `source.buffer` is no longer the buffer they were made on.
 *
 * @example
 * ```ts
 * const wasm = new WebAssembly.Memory({ initial: 1, maximum: 10 });
 * const memory = new MemoryViews(wasm);
 * wasm.grow(1);
 * memory.u8.length; // 131072: the view followed the growth
 * ```
 */
export class MemoryViews implements Memory {
  readonly #source: BufferSource;
  #buffer: ArrayBufferLike | undefined;
  #u8!: Uint8Array;
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #f32!: Float32Array;
  #f64!: Float64Array;
  #view!: DataView;

  /** @param source a buffer (fixed, resizable or growable) or an object whose `buffer` is current. */
  constructor(source: ArrayBufferLike | BufferSource) {
    this.#source = isBuffer(source) ? { buffer: source } : source;
  }

  get buffer(): ArrayBufferLike {
    return this.#sync();
  }
  get u8(): Uint8Array {
    this.#sync();
    return this.#u8;
  }
  get i32(): Int32Array {
    this.#sync();
    return this.#i32;
  }
  get u32(): Uint32Array {
    this.#sync();
    return this.#u32;
  }
  get f32(): Float32Array {
    this.#sync();
    return this.#f32;
  }
  get f64(): Float64Array {
    this.#sync();
    return this.#f64;
  }
  get view(): DataView {
    this.#sync();
    return this.#view;
  }

  #sync(): ArrayBufferLike {
    const buffer = this.#source.buffer;
    if (buffer !== this.#buffer) {
      // No length argument: on resizable and growable buffers these views track the length.
      this.#u8 = new Uint8Array(buffer);
      this.#i32 = new Int32Array(buffer, 0, wholeElements(buffer, 4));
      this.#u32 = new Uint32Array(buffer, 0, wholeElements(buffer, 4));
      this.#f32 = new Float32Array(buffer, 0, wholeElements(buffer, 4));
      this.#f64 = new Float64Array(buffer, 0, wholeElements(buffer, 8));
      this.#view = new DataView(buffer);
      this.#buffer = buffer;
    }
    return buffer;
  }
}

function isBuffer(source: ArrayBufferLike | BufferSource): source is ArrayBufferLike {
  return (
    source instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && source instanceof SharedArrayBuffer)
  );
}

/**
 * The element count of a wide view over `buffer`, or `undefined` (length-tracking) when the buffer
 * can change length. A fixed buffer whose length is not a multiple of the element size gets the whole elements.
 */
function wholeElements(buffer: ArrayBufferLike, elementSize: number): number | undefined {
  return isFixedLength(buffer) ? Math.floor(buffer.byteLength / elementSize) : undefined;
}

function isFixedLength(buffer: ArrayBufferLike): boolean {
  const growable = buffer as { resizable?: boolean; growable?: boolean };
  return !(growable.resizable || growable.growable);
}
