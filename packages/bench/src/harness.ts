/**
 * The benchmark harness: a workload has cases (an allocator or a peer each); every repetition runs all cases
 * in a rotated order, so that drift of the machine (turbo, other load, GC state) spreads over all of them.
 *
 * @module
 */

/** One contender of a workload. */
export interface BenchCase {
  name: string;
  /** Does `iterations` units of work and returns the number of operations done. */
  run(iterations: number): number | Promise<number>;
  /** Called once after the last repetition (stop workers, free memory). */
  teardown?(): void | Promise<void>;
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
  for (const c of cases) await c.run(Math.max(1, Math.floor(iterations / 10))); // warm-up: JIT, pools
  for (let rep = 0; rep < options.repetitions; rep++) {
    options.progress(`${workload.name}: repetition ${rep + 1}/${options.repetitions}`);
    for (let k = 0; k < cases.length; k++) {
      const i = (k + rep) % cases.length;
      const start = performance.now();
      const ops = await cases[i].run(iterations);
      samples[i].push(ops / ((performance.now() - start) / 1000));
    }
  }
  for (const c of cases) await c.teardown?.();
  return summarise(cases, samples, workload.baseline);
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
