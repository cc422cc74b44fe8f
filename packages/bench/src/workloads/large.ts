/**
 * Large allocations (malloc-large): 16 live blocks of 64 KiB-4 MiB, replaced at random, each touched once per
 * 4 KiB page. Stresses the page layer: mapping, unmapping, growth and reuse of big runs.
 *
 * @module
 */
import { localWorkload } from "../cases.js";

export const large = localWorkload({
  name: "large",
  description: "16 live blocks of 64 KiB-4 MiB replaced at random, one byte written per 4 KiB page",
  kernel: "random-replace",
  params: { live: 16, minSize: 1 << 16, maxSize: 1 << 22 },
  heapBytes: 1 << 27,
  iterations: { quick: 300, full: 3_000 },
  unit: "free+malloc pairs",
});
