/**
 * Backings: the growable buffer behind an address space (the "physical memory" that mmap would get from the
 * operating system), how each kind is made, grows and is shared, and the space's growth policy.
 *
 * @module
 */
import { type BufferSource, MAX_SIZE, type Memory } from "@allocators/object-alloc";
import { H_GROWTHS, H_LENGTH16 } from "./header.js";

/**
 * Where an address space's memory comes from: `"shared"` a new growable SharedArrayBuffer (the default),
 * `"local"` a new resizable ArrayBuffer (one worker only), `"wasm"` a new shared `WebAssembly.Memory`, or an
 * existing `WebAssembly.Memory` or SharedArrayBuffer.
 */
export type Backing = "shared" | "local" | "wasm" | WebAssembly.Memory | SharedArrayBuffer;

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

/**
 * The backing `backing` names, holding `initial` bytes and able to grow to `maxBytes`.
 * @throws RangeError when an existing buffer cannot hold them; TypeError for an unknown backing.
 */
export function makeBacking(backing: Backing, maxBytes: number, initial: number): BufferBacking {
  if (backing === "shared") {
    return new SharedBacking(new SharedArrayBuffer(initial, { maxByteLength: maxBytes }));
  }
  if (backing === "local") return new LocalBacking(new ArrayBuffer(initial, { maxByteLength: maxBytes }));
  if (backing === "wasm") {
    const maximum = Math.ceil(maxBytes / WASM_PAGE);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(initial / WASM_PAGE), maximum, shared: true });
    return new WasmBacking(memory, maximum * WASM_PAGE);
  }
  if (backing instanceof SharedArrayBuffer) return grownTo(new SharedBacking(backing), maxBytes, initial);
  if (backing instanceof WebAssembly.Memory) return grownTo(wasmBacking(backing), maxBytes, initial);
  throw new TypeError(
    `backing must be "shared", "local", "wasm", a WebAssembly.Memory or a SharedArrayBuffer`,
  );
}

/** What {@link AddressSpace.share} returns: structured-clonable, for {@link AddressSpace.attach} in any worker. */
export interface AddressSpaceDescriptor {
  readonly kind: "mmap-alloc";
  /** The shared buffer or shared `WebAssembly.Memory`. */
  readonly memory: SharedArrayBuffer | WebAssembly.Memory;
  /** Byte offset of the space's metadata in the buffer. */
  readonly metaBase: number;
}

/** The backing of a shared memory another worker sent (an address space's descriptor). */
export function sharedBacking(memory: SharedArrayBuffer | WebAssembly.Memory): BufferBacking {
  return memory instanceof SharedArrayBuffer ? new SharedBacking(memory) : wasmBacking(memory);
}

/**
 * An existing `WebAssembly.Memory`, with the most it can hold as far as JavaScript can tell: a shared memory's
 * buffer reports its maximum; an unshared one does not, so the wasm32 limit stands and `grow` failures answer
 * the rest.
 */
function wasmBacking(memory: WebAssembly.Memory): WasmBacking {
  const buffer = memory.buffer as ArrayBufferLike;
  const limit = buffer instanceof SharedArrayBuffer && buffer.growable ? buffer.maxByteLength : MAX_SIZE;
  return new WasmBacking(memory, limit);
}

/** An existing buffer, checked against `maxBytes` and grown to `initial` bytes. */
function grownTo(backing: BufferBacking, maxBytes: number, initial: number): BufferBacking {
  if (backing.limit < maxBytes) {
    throw new RangeError(`maxBytes must fit the backing buffer (${backing.limit} bytes); got ${maxBytes}`);
  }
  if (backing.limit < initial || !backing.grow(initial)) {
    throw new RangeError(`the backing buffer cannot hold initialBytes (with the metadata): ${initial}`);
  }
  return backing;
}

/**
 * Growth steps are at least 1/32 of the current length. Still geometric, so amortised O(1) growths per mapped
 * byte; and small, because the buffer never shrinks: it stays within about 3% of the highest page ever
 * needed (steps of half left heaps committing up to 1.5x what they mapped). Small steps are cheap: every
 * backing grows in place, without a copy (a growable buffer or a wasm memory reserves its maximum).
 */
const GROWTH_FACTOR = 1 + 1 / 32;

/**
 * The growth of one space's buffer (lock held): by what a mapping needs and at least {@link GROWTH_FACTOR}, in
 * units of the page size or the backing's granule, never past `maxBytes` rounded up to that unit. It publishes
 * the length it grew the buffer to in the header (LENGTH16, header.ts) before the space hands out any of the
 * new pages, and counts growths there (GROWTHS).
 */
export class SpaceGrowth {
  readonly lengthWord: number;
  readonly growthsWord: number;

  /** @param h the word index of the space's header in `views` */
  constructor(
    readonly backing: BufferBacking,
    readonly views: Memory,
    h: number,
    readonly pageSize: number,
    readonly maxBytes: number,
  ) {
    this.lengthWord = h + H_LENGTH16;
    this.growthsWord = h + H_GROWTHS;
  }

  /** Makes the buffer hold `bytes`; false when it cannot. */
  ensure(bytes: number): boolean {
    // The published length first: unlike the buffer's byteLength, reading it costs no engine call.
    if (bytes <= this.views.i32[this.lengthWord] * 16) return true;
    const backing = this.backing;
    if (bytes > backing.byteLength) {
      const length = backing.byteLength;
      const unit = Math.max(this.pageSize, backing.granule);
      const cap = Math.min(backing.limit, Math.ceil(this.maxBytes / unit) * unit);
      const needed = Math.ceil(bytes / unit) * unit;
      const step = Math.min(cap, Math.ceil((length * GROWTH_FACTOR) / unit) * unit);
      if (!backing.grow(Math.max(needed, step)) && !backing.grow(needed)) return false;
      this.views.i32[this.growthsWord]++;
    }
    // Published before map returns any page of the new length (views that see it cover those pages).
    Atomics.store(this.views.i32, this.lengthWord, Math.floor(backing.byteLength / 16));
    return true;
  }
}
