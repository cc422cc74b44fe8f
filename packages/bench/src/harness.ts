/**
 * The benchmark harness: a workload has cases (an allocator or a peer each); every repetition runs all cases
 * in a rotated order, so that drift of the machine (turbo, other load, GC state) spreads over all of them.
 *
 * @module
 */

/** Operations done and the seconds they took, for a case that times itself (e.g. a native program). */
export interface Measured {
  ops: number;
  seconds: number;
}

/** Peak memory of a case: what its heap held from the engine or OS, against the live bytes it was asked for. */
export interface MemoryFigures {
  peakCommittedBytes: number;
  peakLiveBytes: number;
  /** Growth of the process's resident set while the case ran, when measured in a process of its own. */
  rssBytes?: number;
}

/** Latency of single operations, in nanoseconds, and how it was sampled. */
export interface LatencyFigures {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
  method: string;
}

/** One contender of a workload. */
export interface BenchCase {
  name: string;
  /**
   * Does `iterations` units of work and returns the number of operations done (timed by the harness), or the
   * operations and the seconds it measured itself.
   */
  run(iterations: number): number | Measured | Promise<number | Measured>;
  /** Called once after the last repetition (stop workers, free memory). */
  teardown?(): void | Promise<void>;
  /** Multiplies the workload's iterations for this case (for peers far slower than the rest); default 1. */
  scale?: number;
  /** Peak memory over the repetitions, read after the last one. */
  memory?(): MemoryFigures | undefined;
  /** Latency percentiles, measured after the repetitions. */
  latency?(): LatencyFigures | Promise<LatencyFigures>;
}

/** A workload: the same work for every case. */
export interface Workload {
  /** Short id matched by `--filter`. */
  name: string;
  description: string;
  /** The case the others are compared with. */
  baseline: string;
  /** Units of work per repetition, in a `--quick` run and a full one. */
  iterations: { quick: number; full: number };
  /** Builds the cases, once per run. */
  cases(): BenchCase[] | Promise<BenchCase[]>;
  /** What an operation is, for the tables (default "ops"). */
  unit?: string;
  /** Workloads of one family differ only in their worker count: they make one scaling chart. */
  family?: string;
  /** Worker threads the workload runs (1 when it runs on the main thread). */
  workers?: number;
  /** Its cases run in the worker pool, however many workers (so one worker is warmed up as several are). */
  pool?: boolean;
  /**
   * Sizes each case's repetitions to take about `targetSeconds` (quick: a fifth of it), from a timed warm-up,
   * instead of running `iterations` for every case: contenders that differ by 1000x all get a measurable run.
   * `iterations` then sizes the warm-up (a tenth of it).
   */
  targetSeconds?: number;
  /** Left out of `--quick` runs unless `--filter` is given (e.g. it starts a process per case). */
  slow?: boolean;
  /** Performance targets (from the package issues) checked against this workload's results. */
  targets?: Target[];
}

/** A performance target: a claim about a workload's results that the run checks and the report lists. */
export interface Target {
  description: string;
  /**
   * true when met, false when missed, undefined when the run lacks a case it needs. `earlier` holds the
   * results of the workloads run before this one, by name, for targets that compare across workloads.
   */
  met(results: CaseResult[], earlier: ReadonlyMap<string, CaseResult[]>): boolean | undefined;
}

/**
 * Target across workloads: `contender` here runs at least `factor` times `other` in the earlier workload
 * `workload` (undefined when that workload did not run first, as under `--filter`).
 */
export function atLeastEarlier(
  contender: string,
  factor: number,
  workload: string,
  other: string,
  why: string,
): Target {
  return {
    description: `${contender} ≥ ${factor}× ${other} in ${workload} (${why})`,
    met(results, earlier) {
      const a = results.find((r) => r.name === contender);
      const b = earlier.get(workload)?.find((r) => r.name === other);
      return a && b ? a.median >= factor * b.median : undefined;
    },
  };
}

/** Target: `contender` runs at least `rate` ops/s (its median), in `unit` (say "M pairs/s" for 1e6). */
export function atLeastRate(contender: string, rate: number, unit: string, why: string): Target {
  const scale = unit.startsWith("M ") ? 1e6 : 1;
  return {
    description: `${contender} ≥ ${rate / scale} ${unit} (${why})`,
    met(results) {
      const result = results.find((r) => r.name === contender);
      return result ? result.median >= rate : undefined;
    },
  };
}

/** Target: `contender`'s peak committed bytes are at most `factor` times its peak live bytes. */
export function committedAtMost(contender: string, factor: number, why: string): Target {
  return {
    description: `${contender} peak committed ≤ ${factor}× peak live (${why})`,
    met(results) {
      const memory = results.find((r) => r.name === contender)?.memory;
      return memory ? memory.peakCommittedBytes <= factor * memory.peakLiveBytes : undefined;
    },
  };
}

/** Target: `contender` runs at least `factor` times as fast as `than` in this workload. */
export function atLeast(contender: string, factor: number, than: string, why: string): Target {
  return {
    description: `${contender} ≥ ${factor}× ${than} (${why})`,
    met(results) {
      const a = results.find((r) => r.name === contender);
      const b = results.find((r) => r.name === than);
      return a && b ? a.median >= factor * b.median : undefined;
    },
  };
}

/** The operations per second of one case over all repetitions. */
export interface CaseResult {
  name: string;
  samples: number[];
  median: number;
  /** Half the spread between the fastest and slowest sample, relative to the median. */
  spread: number;
  /** median / the baseline's median. */
  ratio: number;
  memory?: MemoryFigures;
  latency?: LatencyFigures;
}

export interface RunOptions {
  quick: boolean;
  repetitions: number;
  progress(line: string): void;
}

export async function runWorkload(workload: Workload, options: RunOptions): Promise<CaseResult[]> {
  const cases = await workload.cases();
  const iterations = options.quick ? workload.iterations.quick : workload.iterations.full;
  const samples = cases.map(() => [] as number[]);
  const scaled = (c: BenchCase, n: number) => Math.max(1, Math.round(n * (c.scale ?? 1)));
  const perCase = cases.map((c) => scaled(c, iterations));
  const workers = workload.workers ?? 1;
  const inPool = workers > 1 || workload.pool === true;
  const warmUpSeconds = inPool ? WARM_UP_SECONDS * workers * (options.quick ? 0.2 : 1) : 0;
  for (const [i, c] of cases.entries()) {
    options.progress(`${workload.name}: warm-up ${c.name}`);
    const first = scaled(c, iterations / 10);
    await c.run(first); // warm-up: set-up, JIT, pools, workers' heaps
    if (!inPool && !workload.targetSeconds) continue;
    const { iterations: n, seconds } = await timedWarmUp(c, first, warmUpSeconds);
    if (workload.targetSeconds) {
      const target = workload.targetSeconds * (options.quick ? 0.2 : 1);
      perCase[i] = Math.max(1, Math.min(Math.round((n * target) / seconds), 100 * perCase[i]));
    }
  }
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + rep) % cases.length;
      options.progress(`${workload.name}: repetition ${rep + 1}/${options.repetitions}, ${cases[i].name}`);
      const start = performance.now();
      const done = await cases[i].run(perCase[i]);
      const seconds = (performance.now() - start) / 1000;
      samples[i].push(typeof done === "number" ? done / seconds : done.ops / done.seconds);
    }
  }
  const results = summarise(cases, samples, workload.baseline);
  for (const [i, c] of cases.entries()) {
    results[i].memory = c.memory?.();
    if (c.latency) {
      options.progress(`${workload.name}: latency of ${c.name}`);
      results[i].latency = await c.latency();
    }
    await c.teardown?.();
  }
  return results;
}

/**
 * Seconds of timed warm-up runs, per worker, before a multi-worker case is measured. Time, not a count of
 * runs: V8 compiles hot code on background threads, which have no core of their own while every core runs a
 * worker, so the first runs of a multi-worker case measured its interpreter (threadtest on 2 workers: 3-6 M
 * ops/s, then 90) and sized the measured runs from that. One worker of the pool gets the same: with a single
 * timed run, threadtest on 1 worker measured JIT tier-ups in its first repetitions (spreads of +-27-33%,
 * +-12-14% with the warm-up), and its median is what the 2-worker scaling target divides by. Cases on the main
 * thread, whose compiler has a free core, keep one warm-up run (and one timed run to size the measured ones,
 * for workloads with a target duration), as before: their figures depend on it (slab-pairs' five cases share SlabAlloc's methods, and a
 * second warm-up run of each settled V8 on code 25% slower for all of them).
 */
const WARM_UP_SECONDS = 0.3;

/**
 * Runs `c` for at least `minSeconds` (at least once), doubling the runs' length while they are short; returns
 * the last run's iterations and seconds, which size the measured runs.
 */
async function timedWarmUp(c: BenchCase, iterations: number, minSeconds: number) {
  let seconds = 0;
  for (let spent = 0; ; spent += seconds) {
    const start = performance.now();
    await c.run(iterations);
    seconds = Math.max((performance.now() - start) / 1000, 1e-4);
    if (spent + seconds >= minSeconds) return { iterations, seconds };
    if (seconds < minSeconds / 4) iterations *= 2;
  }
}

function summarise(cases: BenchCase[], samples: number[][], baseline: string): CaseResult[] {
  const medians = samples.map(median);
  const base = medians[cases.findIndex((c) => c.name === baseline)] ?? Number.NaN;
  return cases.map((c, i) => ({
    name: c.name,
    samples: samples[i],
    median: medians[i],
    spread: (Math.max(...samples[i]) - Math.min(...samples[i])) / 2 / medians[i],
    ratio: medians[i] / base,
  }));
}

/** The value below which `q` (0 … 1) of `values` lie (nearest rank). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
