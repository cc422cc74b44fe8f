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
 * A {@link Memory} over a buffer source, rebuilding its views when the source's buffer changes or grows.
 *
 * The views are fixed-length views over the whole buffer as it is when they are made. Why not length-tracking
 * views, which follow a growable `SharedArrayBuffer` by themselves: on Node 20 every element access through a
 * length-tracking view costs several times one through a fixed-length view, and allocators index these views
 * on their hot paths. So each getter checks that the buffer is the same object with the same length (a
 * `WebAssembly.Memory` returns a new buffer object after growing, and detaches the old one when not shared; a
 * growable `SharedArrayBuffer` keeps its identity and changes its length) and rebuilds the views otherwise.
 * A view read once stays valid for the bytes it covers; read the property again after the heap may have grown.
 *
 * @example
 * ```ts
 * const wasm = new WebAssembly.Memory({ initial: 1, maximum: 10 });
 * const memory = new MemoryViews(wasm);
 * wasm.grow(1);
 * memory.u8.length; // 131072: the views followed the growth
 * ```
 */
export class MemoryViews implements Memory {
  readonly #source: BufferSource;
  #buffer: ArrayBufferLike | undefined;
  #byteLength = -1;
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
    const byteLength = buffer.byteLength;
    if (buffer !== this.#buffer || byteLength !== this.#byteLength) {
      // Lengths by division, not `>>>`: a 4 GiB buffer's byteLength is 2^32, which `>>>` wraps to 0.
      this.#u8 = new Uint8Array(buffer, 0, byteLength);
      this.#i32 = new Int32Array(buffer, 0, Math.floor(byteLength / 4));
      this.#u32 = new Uint32Array(buffer, 0, Math.floor(byteLength / 4));
      this.#f32 = new Float32Array(buffer, 0, Math.floor(byteLength / 4));
      this.#f64 = new Float64Array(buffer, 0, Math.floor(byteLength / 8));
      this.#view = new DataView(buffer, 0, byteLength);
      this.#buffer = buffer;
      this.#byteLength = byteLength;
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
