/**
 * The worker counts of scaling workloads: 1, the machine's cores, and twice that (oversubscribed).
 *
 * @module
 */
import { availableParallelism } from "node:os";

const cores = availableParallelism();

/** 1, cores and 2 × cores, without repeats, in increasing order. */
export const WORKER_COUNTS = [...new Set([1, cores, 2 * cores])];
