/**
 * TracingAlloc: an allocator wrapper that reports and counts every operation.
 *
 * @module
 */
import { type Alloc, NULL, type Ptr } from "./alloc.js";
import { assertPtr } from "./layout.js";
import type { Memory } from "./memory.js";

/** One operation seen by {@link TracingAlloc}. `ptr` is {@link NULL} when the operation failed. */
export type TraceEvent =
  | { op: "alloc"; ptr: Ptr; size: number; align: number; zeroed: boolean }
  | { op: "dealloc"; ptr: Ptr; size: number }
  | { op: "realloc"; ptr: Ptr; oldPtr: Ptr; size: number; oldSize: number; align: number };

/** Receives each {@link TraceEvent} right after the operation. */
export type TraceSink = (event: TraceEvent) => void;

/** Counters kept by {@link TracingAlloc}. Sizes are the sizes requested, not the usable sizes. */
export interface TraceStats {
  liveBlocks: number;
  liveBytes: number;
  peakBytes: number;
  allocs: number;
  deallocs: number;
  reallocs: number;
  failures: number;
  /** Requests by size: `count` requests of a size in `(maxSize / 2, maxSize]` (size 0 counts under 1). */
  histogram: { maxSize: number; count: number }[];
}

/**
 * Wraps an allocator, forwards every call, reports each one to `sink`, and keeps the live blocks, live and peak
 * bytes and a power-of-two size histogram. Because it knows every live block, it rejects a double free or a
 * pointer it never returned with a `RangeError` before the inner allocator sees it. It must therefore see every
 * allocation of the blocks it is asked to free. Tracing costs a `Map` update and an event object per call: a
 * debugging tool, not a fast path.
 */
export class TracingAlloc implements Alloc {
  readonly #live = new Map<Ptr, number>();
  readonly #histogram = new Array<number>(34).fill(0);
  #liveBytes = 0;
  #peakBytes = 0;
  #allocs = 0;
  #deallocs = 0;
  #reallocs = 0;
  #failures = 0;

  constructor(
    readonly inner: Alloc,
    readonly sink: TraceSink = () => {},
  ) {}

  get memory(): Memory {
    return this.inner.memory;
  }

  alloc(size: number, align = 1): Ptr {
    return this.#traceAlloc(this.inner.alloc(size, align), size, align, false);
  }

  allocZeroed(size: number, align = 1): Ptr {
    return this.#traceAlloc(this.inner.allocZeroed(size, align), size, align, true);
  }

  dealloc(ptr: Ptr, size?: number, align?: number): void {
    if (ptr === NULL) return;
    const liveSize = this.#liveSize(ptr, "dealloc");
    this.inner.dealloc(ptr, size, align);
    this.#forget(ptr, liveSize);
    this.#deallocs++;
    this.sink({ op: "dealloc", ptr, size: liveSize });
  }

  realloc(ptr: Ptr, newSize: number, align = 1): Ptr {
    if (ptr === NULL) return this.alloc(newSize, align);
    const oldSize = this.#liveSize(ptr, "realloc");
    const moved = this.inner.realloc(ptr, newSize, align);
    this.#reallocs++;
    if (moved === NULL) {
      this.#failures++;
    } else {
      this.#forget(ptr, oldSize);
      this.#remember(moved, newSize);
    }
    this.sink({ op: "realloc", ptr: moved, oldPtr: ptr, size: newSize, oldSize, align });
    return moved;
  }

  usableSize(ptr: Ptr): number {
    this.#liveSize(ptr, "usableSize");
    return this.inner.usableSize(ptr);
  }

  /** True when `ptr` is a live block returned through this tracer. */
  isLive(ptr: Ptr): boolean {
    return this.#live.has(ptr);
  }

  /** A snapshot of the counters. */
  stats(): TraceStats {
    const histogram = this.#histogram.flatMap((count, k) => (count > 0 ? [{ maxSize: 2 ** k, count }] : []));
    return {
      liveBlocks: this.#live.size,
      liveBytes: this.#liveBytes,
      peakBytes: this.#peakBytes,
      allocs: this.#allocs,
      deallocs: this.#deallocs,
      reallocs: this.#reallocs,
      failures: this.#failures,
      histogram,
    };
  }

  #traceAlloc(ptr: Ptr, size: number, align: number, zeroed: boolean): Ptr {
    this.#allocs++;
    this.#histogram[size <= 1 ? 0 : Math.ceil(Math.log2(size))]++;
    if (ptr === NULL) this.#failures++;
    else this.#remember(ptr, size);
    this.sink({ op: "alloc", ptr, size, align, zeroed });
    return ptr;
  }

  #liveSize(ptr: Ptr, op: string): number {
    assertPtr(ptr);
    const size = this.#live.get(ptr);
    if (size === undefined) {
      throw new RangeError(`${op}: ptr ${ptr} is not a live block (double free, or never allocated here)`);
    }
    return size;
  }

  #remember(ptr: Ptr, size: number): void {
    this.#live.set(ptr, size);
    this.#liveBytes += size;
    this.#peakBytes = Math.max(this.#peakBytes, this.#liveBytes);
  }

  #forget(ptr: Ptr, size: number): void {
    this.#live.delete(ptr);
    this.#liveBytes -= size;
  }
}
