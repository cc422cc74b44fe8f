/**
 * Builds the cases of the general allocator workloads from a kernel: one case per contender, on the main
 * thread (single-threaded workloads) or on pool workers (multi-worker ones), plus the native glibc reference
 * line where the C program implements the kernel.
 *
 * @module
 */
import type { AdapterSource, Contender, HeapAdapter } from "./adapters/adapter.js";
import { GC, localContenders, workerContenders, workerLabel } from "./adapters/contenders.js";
import type { BenchCase, LatencyFigures, MemoryFigures, Target, Workload } from "./harness.js";
import { quantile } from "./harness.js";
import type { KernelInstance } from "./kernel.js";
import { nativeCase } from "./native.js";
import { ask } from "./pool.js";

const LATENCY_BATCHES = 20_000;
const TARGET_SECONDS = 0.25;

/** What a general workload declares. */
export interface KernelWorkload {
  name: string;
  description: string;
  kernel: string;
  params: Record<string, unknown>;
  /** Bytes a heap needs for this workload (fixed-size heaps are made this large). */
  heapBytes: number;
  iterations: { quick: number; full: number };
  unit?: string;
  /** Per-contender iteration scale, by contender name (for peers orders of magnitude slower). */
  scale?: Record<string, number>;
  /** Also time single operations (the latency table). */
  latency?: boolean;
  /** Seconds per repetition and case (see {@link Workload.targetSeconds}); default 0.25. */
  targetSeconds?: number;
  targets?: Target[];
}

/** A single-threaded workload on the main thread, for every local contender and native glibc. */
export function localWorkload(spec: KernelWorkload): Workload {
  return {
    name: spec.name,
    description: spec.description,
    baseline: GC,
    iterations: spec.iterations,
    unit: spec.unit,
    workers: 1,
    targetSeconds: spec.targetSeconds ?? TARGET_SECONDS,
    targets: spec.targets,
    async cases() {
      const { loadKernel } = await import("./kernels.js");
      const contenders = localContenders();
      const loaded = await Promise.all(contenders.map((c) => loadKernel(spec.kernel, c.name, spec.name)));
      const list: BenchCase[] = contenders.map((contender, k) => {
        let heap: HeapAdapter | undefined;
        let kernel: KernelInstance | undefined;
        let peakCommitted = 0;
        const open = () => {
          heap ??= contender.open(spec.heapBytes);
          kernel ??= loaded[k]({ heap, index: 0, workers: 1, shared: false, params: spec.params });
          return { heap, kernel };
        };
        const benchCase: BenchCase = {
          name: contender.name,
          scale: spec.scale?.[contender.name] ?? contender.scale,
          run(iterations) {
            const { heap, kernel } = open();
            const ops = kernel.run(iterations);
            peakCommitted = Math.max(peakCommitted, heap.committedBytes());
            return ops;
          },
          memory: (): MemoryFigures => ({
            peakCommittedBytes: peakCommitted,
            peakLiveBytes: open().kernel.peakLiveBytes?.() ?? 0,
          }),
          teardown() {
            kernel?.teardown?.();
            heap?.dispose();
          },
        };
        // Slow peers time fewer batches (at least 200), so that the latency pass stays short.
        const batches = Math.max(200, Math.round(LATENCY_BATCHES * (benchCase.scale ?? 1)));
        if (spec.latency) benchCase.latency = () => latencyOf(open().kernel, batches);
        return benchCase;
      });
      const native = nativeCase(spec.kernel, spec.params);
      if (native) list.push(native);
      return list;
    },
  };
}

function latencyOf(kernel: KernelInstance, batches: number): LatencyFigures {
  const samples = kernel.latency?.(batches) ?? [];
  return {
    p50: quantile(samples, 0.5),
    p90: quantile(samples, 0.9),
    p99: quantile(samples, 0.99),
    p999: quantile(samples, 0.999),
    max: Math.max(...samples),
    samples: samples.length,
    method: "performance.now() around batches of 16 malloc+free pairs, per operation",
  };
}

/** A multi-worker workload: `workers` pool workers run the kernel for every worker contender. */
export function workerWorkload(
  spec: KernelWorkload & {
    family: string;
    workers: number;
    /** Some blocks are freed by another worker than the one that allocated them. */
    crossThread: boolean;
    /** Extra parameters per case (shared arrays), given the case's shared heap opened here, if any. */
    prepare?(workers: number, source: AdapterSource): Record<string, unknown>;
    /** Overrides the contenders (e.g. only shared heaps can pass blocks between workers). */
    contenders?(): Contender[];
  },
): Workload {
  return {
    name: spec.name,
    description: spec.description,
    baseline: `${GC} (private heap per worker)`,
    iterations: spec.iterations,
    unit: spec.unit,
    targetSeconds: spec.targetSeconds ?? TARGET_SECONDS,
    targets: spec.targets,
    family: spec.family,
    workers: spec.workers,
    pool: true,
    cases() {
      const contenders = spec.contenders?.() ?? workerContenders(spec.crossThread);
      return contenders.map((contender) => workerCase(spec, contender));
    },
  };
}

let nextCaseId = 1;

function workerCase(
  spec: KernelWorkload & {
    workers: number;
    prepare?(workers: number, source: AdapterSource): Record<string, unknown>;
  },
  contender: Contender,
): BenchCase {
  const id = nextCaseId++;
  const all = Array.from({ length: spec.workers }, (_, i) => i);
  let ready: Promise<unknown> | undefined;
  let source: AdapterSource | undefined;
  const peak: MemoryFigures = { peakCommittedBytes: 0, peakLiveBytes: 0 };
  const setup = () => {
    // A shared heap is made once here; a private one is a recipe each worker follows.
    const made = contender.source(spec.heapBytes);
    source = made;
    const params = { ...spec.params, ...spec.prepare?.(spec.workers, made) };
    return Promise.all(
      all.map((index) =>
        ask(index, {
          type: "setup",
          id,
          kernel: spec.kernel,
          source: made,
          index,
          workers: spec.workers,
          shared: contender.shared,
          params,
        }),
      ),
    );
  };
  return {
    name: workerLabel(contender),
    scale: spec.scale?.[contender.name] ?? contender.scale,
    async run(iterations) {
      ready ??= setup();
      await ready;
      const replies = await Promise.all(all.map((index) => ask(index, { type: "run", id, iterations })));
      // Private heaps add up; workers of a shared heap each see all of it, so take the largest.
      const committed = replies.map((r) => r.committedBytes ?? 0);
      const heap = contender.shared ? Math.max(...committed) : committed.reduce((a, b) => a + b, 0);
      peak.peakCommittedBytes = Math.max(peak.peakCommittedBytes, heap);
      const live = replies.reduce((sum, r) => sum + (r.peakLiveBytes ?? 0), 0);
      peak.peakLiveBytes = Math.max(peak.peakLiveBytes, live);
      return replies.reduce((sum, r) => sum + (r.ops ?? 0), 0);
    },
    memory: () => (peak.peakLiveBytes > 0 ? peak : undefined),
    async teardown() {
      if (ready) await Promise.all(all.map((index) => ask(index, { type: "teardown", id })));
      if (source) contender.release?.(source);
    },
  };
}
