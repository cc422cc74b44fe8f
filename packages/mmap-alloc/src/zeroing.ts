/**
 * Page zeroing: which pages must be zeroed, and how. A one-page unmap zeroes the page before it enters a page
 * cache, so cached pages read zero. A longer unmap only tags its freed pages dirty ({@link DIRTY_TAG}): the
 * pages inside the run before taking the lock, while they are still the caller's; its head and tail page in
 * the logged change. `map` notes under the lock whether the first and last page of its run were dirty (their
 * tags then become the run's), and after releasing it zeroes the dirty pages of the run and clears their tags,
 * unless asked not to; so the cost falls on whoever needs zeroed pages. A free page tagged 0 reads zero; a
 * fresh page from growth reads zero and is never written. DIRTY_TAG inside a mapped run only says its bytes
 * may be old (a run mapped without zeroing, or whose mapper died before zeroing): harmless, as its pages are
 * tagged dirty again when unmapped.
 *
 * What is fastest depends on the buffer, because V8 (Node 20) copies and fills typed arrays on shared memory
 * with relaxed atomic stores, one element at a time, while a native `memset` runs on unshared memory and inside
 * wasm:
 *
 * | buffer                         | fastest zeroing of a 4 KiB page       | measured  |
 * | ------------------------------ | ------------------------------------- | --------- |
 * | `WebAssembly.Memory` (any)     | wasm `memory.fill` (native memset)    | ~55 ns    |
 * | unshared (resizable) buffer    | `Uint8Array.prototype.fill`           | ~75 ns    |
 * | growable `SharedArrayBuffer`   | `Uint8Array.prototype.set` of zeroes  | ~165 ns   |
 *
 * On a `SharedArrayBuffer`, `fill` costs 300 ns to 1.2 µs. An unrolled loop of Float64Array stores is a
 * little faster alone (~150 ns) but slower inside map+unmap pairs (about 20 % fewer pairs per second in
 * Node 20): copying from a zero block stays the method there.
 *
 * @module
 */
import type { Memory } from "@allocators/object-alloc";
import { DIRTY_TAG } from "./run-tags.js";

/** How a {@link PageZeroer} clears bytes: copies from a zero block (shared memory wasm cannot reach). */
const COPY = 0;
/** `Uint8Array.prototype.fill`: a memset on unshared memory. */
const FILL = 1;
/** The wasm function of {@link wasmModule}: a memset on a `WebAssembly.Memory`. */
const WASM = 2;

/** The zero block copied from: runs are copied 64 KiB at a time, then 4 KiB (every page size divides). */
const ZERO_BLOCK = 65536;
const ZERO_TAIL = 4096;

/**
 * Zeroes whole pages of one buffer, with the fastest method for its kind. One class (a method switch, not
 * one class per method) keeps the address space's call site monomorphic.
 */
export class PageZeroer {
  readonly #memory: Memory;
  readonly #method: number;
  readonly #fill: ((ptr: number, bytes: number) => void) | undefined;
  readonly #zeros: Uint8Array | undefined;
  readonly #zeroTail: Uint8Array | undefined;
  #u8: Uint8Array;

  /**
   * @param memory the views of the buffer to zero, asked again when a range lies past the last one handed out
   * @param wasm the `WebAssembly.Memory` behind `memory`, if any: zeroed by wasm when this engine compiles
   * wasm (a Content-Security-Policy may forbid it), else as its buffer's kind dictates.
   */
  constructor(memory: Memory, wasm?: WebAssembly.Memory) {
    this.#memory = memory;
    this.#fill = wasm === undefined ? undefined : wasmFill(wasm);
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    this.#method = this.#fill !== undefined ? WASM : shared ? COPY : FILL;
    this.#zeros = this.#method === COPY ? new Uint8Array(ZERO_BLOCK) : undefined;
    this.#zeroTail = this.#zeros?.subarray(0, ZERO_TAIL);
    this.#u8 = new Uint8Array(0);
  }

  /** Which method this zeroer uses: "wasm", "fill" or "copy" (for tests and benchmarks). */
  get method(): "wasm" | "fill" | "copy" {
    return this.#method === WASM ? "wasm" : this.#method === FILL ? "fill" : "copy";
  }

  /** Zeroes `[ptr, ptr + bytes)`: page-aligned, a whole number of pages, inside the buffer. */
  zero(ptr: number, bytes: number): void {
    if (this.#method === WASM) this.#fill!(ptr, bytes);
    else if (this.#method === COPY) this.#copy(ptr, ptr + bytes);
    else this.#bytes(ptr + bytes).fill(0, ptr, ptr + bytes);
  }

  #copy(ptr: number, end: number): void {
    const u8 = this.#bytes(end);
    for (; end - ptr >= ZERO_BLOCK; ptr += ZERO_BLOCK) u8.set(this.#zeros!, ptr);
    for (; ptr < end; ptr += ZERO_TAIL) u8.set(this.#zeroTail!, ptr);
  }

  /**
   * Zeroes the dirty pages of the run `[start, start + pages)` of `pageSize` pages that this thread has just
   * mapped (lock released: the run is its own), clearing their tags (at word `tags` of `m`); `ends` tells
   * whether the first (bit 0) and last (bit 1) page were dirty, as their tags may now hold the run's.
   * Consecutive dirty pages are zeroed in one call.
   */
  zeroDirty(m: Int32Array, tags: number, start: number, pages: number, ends: number, pageSize: number): void {
    const last = start + pages - 1;
    let from = -1;
    for (let p = start; p <= last; p++) {
      let dirty = (p === start && (ends & 1) !== 0) || (p === last && (ends & 2) !== 0);
      if (m[tags + p] === DIRTY_TAG) {
        m[tags + p] = 0;
        dirty = true;
      }
      if (dirty && from < 0) from = p;
      if (!dirty && from >= 0) {
        this.zero(from * pageSize, (p - from) * pageSize);
        from = -1;
      }
    }
    if (from >= 0) this.zero(from * pageSize, (last + 1 - from) * pageSize);
  }

  /**
   * The last Uint8Array the memory handed out, asked again when it does not cover `end` bytes (growth, or a
   * detached buffer, whose views have length 0). Only a range past its end needs a new one.
   */
  #bytes(end: number): Uint8Array {
    if (end > this.#u8.length) this.#u8 = this.#memory.u8;
    return this.#u8;
  }
}

/**
 * Tags dirty the pages of `[first, first + pages)` tagged 0: the pages inside a run being unmapped, while they
 * are still the caller's (its head or tail page, which carries the run's tag, goes dirty in the logged change).
 */
export function markDirty(m: Int32Array, tags: number, first: number, pages: number): void {
  for (let p = first; p < first + pages; p++) if (m[tags + p] === 0) m[tags + p] = DIRTY_TAG;
}

/** Bit 0: the first page of `[start, start + pages)` is dirty; bit 1: its last (lock held, before staging). */
export function dirtyEnds(m: Int32Array, tags: number, start: number, pages: number): number {
  return (m[tags + start] === DIRTY_TAG ? 1 : 0) | (m[tags + start + pages - 1] === DIRTY_TAG ? 2 : 0);
}

/*
 * The wasm module, as bytes (no build step, no Node built-ins):
 *
 *   (module
 *     (import "m" "memory" (memory 0 65536 shared))   ;; or (memory 0) for an unshared memory
 *     (func (export "zero") (param i32 i32)
 *       local.get 0  i32.const 0  local.get 1  memory.fill))
 *
 * The import's limits accept every memory of its kind: a shared memory always has a maximum of at most 65536
 * wasm pages (4 GiB); an unshared one may have none. `memory.fill` treats both operands as unsigned, so any
 * range below 4 GiB works.
 */
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const TYPES = [0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]; // one type: (i32, i32) -> ()
const FUNCTIONS = [0x03, 0x02, 0x01, 0x00]; // one function of type 0
const EXPORTS = [0x07, 0x08, 0x01, 0x04, 0x7a, 0x65, 0x72, 0x6f, 0x00, 0x00]; // "zero" = function 0
const CODE = [0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x41, 0x00, 0x20, 0x01, 0xfc, 0x0b, 0x00, 0x0b];
/** The import section: "m" "memory", then the memory limits. */
function imports(limits: number[]): number[] {
  const entry = [0x01, 0x6d, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, ...limits];
  return [0x02, entry.length + 1, 0x01, ...entry];
}
const SHARED_LIMITS = [0x03, 0x00, 0x80, 0x80, 0x04]; // shared, min 0, max 65536 (LEB128)
const UNSHARED_LIMITS = [0x00, 0x00]; // min 0, no max

/** The compiled module per kind of memory; null once compilation was refused. */
const modules = new Map<boolean, WebAssembly.Module | null>();

function wasmModule(shared: boolean): WebAssembly.Module | null {
  let module = modules.get(shared);
  if (module === undefined) {
    const limits = shared ? SHARED_LIMITS : UNSHARED_LIMITS;
    const bytes = new Uint8Array([
      ...HEADER,
      ...TYPES,
      ...imports(limits),
      ...FUNCTIONS,
      ...EXPORTS,
      ...CODE,
    ]);
    try {
      module = new WebAssembly.Module(bytes);
    } catch {
      module = null; // e.g. a Content-Security-Policy without 'wasm-unsafe-eval': zero from JavaScript
    }
    modules.set(shared, module);
  }
  return module;
}

/** The `zero(ptr, bytes)` function of an instance on `memory`, or undefined when wasm is unavailable. */
function wasmFill(memory: WebAssembly.Memory): ((ptr: number, bytes: number) => void) | undefined {
  const module = wasmModule(memory.buffer instanceof SharedArrayBuffer);
  if (module === null) return undefined;
  try {
    const instance = new WebAssembly.Instance(module, { m: { memory } });
    return instance.exports.zero as (ptr: number, bytes: number) => void;
  } catch {
    return undefined;
  }
}
