/**
 * Every kernel by name: pool workers look kernels up here, since functions cannot be posted to a worker.
 *
 * @module
 */
import type { Kernel } from "./kernel.js";
import { cacheKernel } from "./workloads/cache.js";
import { larsonKernel } from "./workloads/larson.js";
import { mstressKernel } from "./workloads/mstress.js";
import { producerConsumerKernel } from "./workloads/producer-consumer.js";
import { randomReplaceKernel } from "./workloads/random-replace.js";
import { shbenchKernel } from "./workloads/shbench.js";
import { threadtestKernel } from "./workloads/threadtest.js";

export const kernels: Record<string, Kernel> = {
  cache: cacheKernel,
  larson: larsonKernel,
  mstress: mstressKernel,
  "producer-consumer": producerConsumerKernel,
  "random-replace": randomReplaceKernel,
  shbench: shbenchKernel,
  threadtest: threadtestKernel,
};
