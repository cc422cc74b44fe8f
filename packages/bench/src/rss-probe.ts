/**
 * A fresh process for one contender of the `rss-100k` workload: it fills 100,000 random blocks of 8-256 B,
 * then replaces `iterations` of them at random, and prints as JSON the operations, the seconds, and how far
 * the process's RSS grew over its idle size (sampled after a forced GC before the heap is made, after the fill
 * and every tenth of the replaces).
 *
 * usage: node --conditions=source --import tsx --expose-gc src/rss-probe.ts <contender> <iterations>
 */
import { localContenders, prepareContenders } from "./adapters/contenders.js";
import { randomReplaceKernel } from "./workloads/random-replace.js";

const [name, count] = process.argv.slice(2);
await prepareContenders();
const contender = localContenders().find((c) => c.name === name);
if (!contender) throw new Error(`no contender named ${name}`);
const iterations = Number(count);
globalThis.gc?.();
const idle = process.memoryUsage().rss;
let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss - idle);
};
const heap = contender.open(1 << 26);
const kernel = randomReplaceKernel({
  heap,
  index: 0,
  workers: 1,
  shared: false,
  params: { live: 100_000, minSize: 8, maxSize: 256 },
});
sample();
let peakCommitted = heap.committedBytes();
const start = performance.now();
for (let tenth = 0; tenth < 10; tenth++) {
  kernel.run(Math.ceil(iterations / 10));
  sample();
  peakCommitted = Math.max(peakCommitted, heap.committedBytes());
}
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    ops: 10 * Math.ceil(iterations / 10),
    seconds,
    peakCommittedBytes: peakCommitted,
    peakLiveBytes: kernel.peakLiveBytes?.() ?? 0,
    rssBytes: peakRss,
  }),
);
