/**
 * What the page and its workers share: the job each worker receives, and the layout of the shared counters.
 *
 * @module
 */

/** The first message a churn worker receives. */
export interface WorkerJob {
  /** A descriptor from `heap.shareThread()` (structured-clonable). */
  heap: unknown;
  index: number;
  seed: number;
  /** Int32Array rows of {@link COUNTER_FIELDS} per worker. */
  counters: SharedArrayBuffer;
  /** Word 0: 1 asks the workers to stop. Word 1: never written; the workers sleep on it between bursts. */
  control: SharedArrayBuffer;
  /** Slots of pointers handed between workers (0: empty). */
  mailbox: SharedArrayBuffer;
}

/** Fields of a worker's row of counters. */
export const OPS = 0;
export const KEPT = 1;
export const CROSS_FREES = 2;
export const FAILED = 3;
export const COUNTER_FIELDS = 4;
