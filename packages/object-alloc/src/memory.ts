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
 * That check is not free: reading `byteLength` is a call into the engine (about 13 ns on Node 20), and on a
 * growable `SharedArrayBuffer` every worker that reads it writes the same shared counter, so two workers reading
 * it in a loop each take twice as long. Two cases skip it: a buffer that can never change (neither growable nor
 * resizable) is checked once; and an owner that publishes the length it grew the buffer to in a word of the
 * buffer itself (`lengthWord`, e.g. mmap-alloc's address space) lets the getters compare that word with the
 * views' length, one plain load, and check the buffer only when they differ.
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
  /** The source is a buffer itself, not a holder whose buffer may be replaced (a `WebAssembly.Memory`). */
  readonly #plain: boolean;
  #buffer: ArrayBufferLike | undefined;
  #byteLength = -1;
  #u8!: Uint8Array;
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #f32!: Float32Array;
  #f64!: Float64Array;
  #view!: DataView;
  /** The i32 index of the published length word, or -1; the views' length in its unit (16 bytes). */
  readonly #lengthWord: number;
  #length16 = -1;
  /** True once the views cover a buffer that can never change. */
  #final = false;

  /**
   * @param source a buffer (fixed, resizable or growable) or an object whose `buffer` is current.
   * @param options.lengthWord the i32 index of a word holding `floor(byteLength / 16)` of the buffer as last
   *   grown by its owner, who stores it after every growth and before handing out any of the new bytes. The
   *   views then cover at least every byte so handed out, and are rebuilt only when the word exceeds them.
   */
  constructor(source: ArrayBufferLike | BufferSource, options: { lengthWord?: number } = {}) {
    this.#plain = isBuffer(source);
    this.#source = isBuffer(source) ? { buffer: source } : source;
    this.#lengthWord = options.lengthWord ?? -1;
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
    // The views are current when they cover the published length; a view of a detached buffer (an unshared
    // wasm memory that grew) reads undefined there, and undefined <= n is false.
    if (this.#final || (this.#lengthWord >= 0 && this.#i32?.[this.#lengthWord] <= this.#length16)) {
      return this.#buffer as ArrayBufferLike;
    }
    return this.#rebuild();
  }

  #rebuild(): ArrayBufferLike {
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
    this.#length16 = Math.floor(byteLength / 16);
    this.#final = this.#plain && isFixed(buffer);
    return buffer;
  }
}

function isBuffer(source: ArrayBufferLike | BufferSource): source is ArrayBufferLike {
  return (
    source instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && source instanceof SharedArrayBuffer)
  );
}

/** A buffer whose length can never change: neither a growable `SharedArrayBuffer` nor a resizable `ArrayBuffer`. */
function isFixed(buffer: ArrayBufferLike): boolean {
  return !(buffer as SharedArrayBuffer).growable && !(buffer as ArrayBuffer).resizable;
}
