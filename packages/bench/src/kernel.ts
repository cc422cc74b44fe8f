/**
 * A kernel is the work of one thread in a workload: it gets an open heap, its index among the workers and the
 * workload's parameters, and does `iterations` units of work per call. The same kernel runs on the main thread
 * for single-threaded workloads and in pool workers for multi-worker ones.
 *
 * @module
 */
import type { HeapAdapter } from "./adapters/adapter.js";

/** What a kernel is given. */
export interface KernelContext {
  heap: HeapAdapter;
  /** This thread's index, 0 … workers-1. */
  index: number;
  workers: number;
  /** All workers share one heap (blocks may be freed by another worker). */
  shared: boolean;
  /** Workload parameters (structured-clonable: numbers and SharedArrayBuffers). */
  params: Record<string, unknown>;
}

/** One thread's running kernel. */
export interface KernelInstance {
  /** Does `iterations` units of work; returns the operations done (mallocs plus frees, unless said). */
  run(iterations: number): number;
  /** The largest sum of live block sizes seen so far. */
  peakLiveBytes?(): number;
  /** Times `batches` batches of single operations; returns nanoseconds per operation, one per batch. */
  latency?(batches: number): number[];
  /** Frees what it holds (shared heaps) before the heap is disposed. */
  teardown?(): void;
}

export type Kernel = (context: KernelContext) => KernelInstance;

/** Thrown by kernels when a heap returns 0: a heap sized too small is a bench bug, not a result. */
export function outOfMemory(size: number): never {
  throw new Error(`out of memory allocating ${size} bytes`);
}

/** Reads a numeric parameter. */
export function num(params: Record<string, unknown>, key: string): number {
  const value = params[key];
  if (typeof value !== "number") throw new TypeError(`workload parameter ${key} must be a number`);
  return value;
}
