/**
 * The general allocator workloads (mimalloc-bench's set, re-implemented from their published descriptions),
 * each run by elfmalloc and every peer. `main.ts` runs them after the per-package workloads of `index.ts`.
 *
 * @module
 */
import type { Workload } from "../harness.js";
import { cacheScratch, cacheThrash } from "./cache.js";
import { large } from "./large.js";
import { larson } from "./larson.js";
import { mstress } from "./mstress.js";
import { producerConsumer } from "./producer-consumer.js";
import { randomReplace1k, randomReplace10k, randomReplace100k } from "./random-replace.js";
import { rss } from "./rss.js";
import { shbench } from "./shbench.js";
import { threadtest } from "./threadtest.js";

export const generalWorkloads: Workload[] = [
  randomReplace1k,
  randomReplace10k,
  randomReplace100k,
  shbench,
  large,
  ...threadtest,
  ...larson,
  ...producerConsumer,
  ...mstress,
  ...cacheThrash,
  ...cacheScratch,
  rss,
];
