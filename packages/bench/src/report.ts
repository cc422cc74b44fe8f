/**
 * `pnpm bench --write`: turns a run's results into `info/performance.md` (the machine, the commands, the
 * method and one table per workload) and the charts in `info/plots/*.svg`.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { CaseResult, Workload } from "./harness.js";
import { latencyChart, memoryChart, ratioChart, renderSvg, scalingChart } from "./plots.js";

/** One workload's results, as main.ts collected them. */
export interface WorkloadResult {
  workload: Workload;
  cases: CaseResult[];
  /** The workload's targets, checked (`met` undefined: a case it needs did not run). */
  targets?: { description: string; met: boolean | undefined }[];
}

/** How the run was made. */
export interface RunInfo {
  quick: boolean;
  repetitions: number;
  seconds: number;
  /** The command-line arguments, without `--write`. */
  argv: string[];
  /** Things the run noticed (a contender missing, and why). */
  notes: string[];
}

/** A run as saved next to the charts (`info/plots/results.json`), so that `--replot` can redraw it. */
interface SavedRun {
  run: RunInfo;
  date: string;
  loadAverage: number;
  cores: number;
  machine: string[];
  results: (Omit<WorkloadResult, "workload"> & { workload: Omit<Workload, "cases" | "targets"> })[];
}

const INFO = new URL("../../../info/", import.meta.url);
const PLOTS = new URL("plots/", INFO);

/** Writes the report, its charts and the raw results; returns the files written. */
export async function writeReport(results: WorkloadResult[], run: RunInfo): Promise<string[]> {
  const saved: SavedRun = {
    run,
    date: new Date().toISOString().slice(0, 10),
    loadAverage: loadavg()[0],
    cores: availableParallelism(),
    machine: machine(),
    results: results.map(({ workload: { cases: _, targets: __, ...workload }, ...rest }) => ({
      workload,
      ...rest,
    })),
  };
  await mkdir(PLOTS, { recursive: true });
  const json = fileURLToPath(new URL("results.json", PLOTS));
  await writeFile(json, `${JSON.stringify(saved, null, 2)}\n`);
  const written = [...(await render(saved)), json];
  formatWithBiome(written.filter((file) => !file.endsWith(".svg")));
  return written;
}

/** Formats the report and the saved results as the repository's Biome config wants, so `pnpm lint` stays clean. */
function formatWithBiome(files: string[]): void {
  try {
    execFileSync("pnpm", ["exec", "biome", "format", "--write", ...files], { stdio: "ignore" });
  } catch {
    console.warn("could not format the report with Biome: run `pnpm format` before committing it");
  }
}

/** Redraws the report and charts from the saved results of the last `--write` run. */
export async function replot(): Promise<string[]> {
  const written = await render(
    JSON.parse(await readFile(new URL("results.json", PLOTS), "utf8")) as SavedRun,
  );
  formatWithBiome(written.filter((file) => !file.endsWith(".svg")));
  return written;
}

async function render(saved: SavedRun): Promise<string[]> {
  const results = saved.results.map((r) => ({ ...r, workload: { ...r.workload, cases: () => [] } }));
  const charts = await renderCharts(results, saved.cores);
  const written: string[] = [];
  for (const [name, svg] of charts) {
    const file = fileURLToPath(new URL(name, PLOTS));
    await writeFile(file, svg);
    written.push(file);
  }
  const file = fileURLToPath(new URL("performance.md", INFO));
  await writeFile(file, markdown(results, saved, [...charts.keys()]));
  written.push(file);
  return written;
}

const single = (r: WorkloadResult) => r.workload.family === undefined && r.cases.some((c) => c.memory);

async function renderCharts(results: WorkloadResult[], cores: number): Promise<Map<string, string>> {
  const charts = new Map<string, string>();
  const throughput = results
    .filter(single)
    .flatMap((r) => r.cases.map((c) => ({ workload: r.workload.name, contender: c.name, ratio: c.ratio })))
    .filter((row) => Number.isFinite(row.ratio) && row.ratio > 0);
  if (throughput.length) {
    charts.set(
      "throughput.svg",
      await renderSvg(ratioChart("Single-threaded throughput against new Uint8Array + GC", throughput)),
    );
  }
  const scaling = results
    .filter((r) => r.workload.family !== undefined)
    .flatMap((r) =>
      r.cases.map((c) => ({
        family: r.workload.family as string,
        workers: r.workload.workers ?? 1,
        contender: c.name,
        mops: c.median / 1e6,
      })),
    );
  if (scaling.length) charts.set("scaling.svg", await renderSvg(scalingChart(scaling)));
  const latency = results.flatMap((r) =>
    r.cases.flatMap((c) => {
      const l = c.latency;
      if (!l) return [];
      const points: [string, number][] = [
        ["p50", l.p50],
        ["p90", l.p90],
        ["p99", l.p99],
        ["p99.9", l.p999],
        ["max", l.max],
      ];
      return points.map(([percentile, ns]) => ({ contender: c.name, percentile, ns: Math.max(ns, 1) }));
    }),
  );
  if (latency.length) charts.set("latency.svg", await renderSvg(latencyChart(latency)));
  // Multi-worker workloads only at the core count, to keep one panel per workload.
  const memory = results
    .filter((r) => atCores(r, cores))
    .flatMap((r) =>
      r.cases.flatMap((c) => {
        const m = c.memory;
        if (!m || m.peakLiveBytes === 0) return [];
        const rows = [
          {
            workload: r.workload.name,
            contender: c.name,
            measure: "peak committed heap",
            perLive: m.peakCommittedBytes / m.peakLiveBytes,
          },
        ];
        if (m.rssBytes !== undefined) {
          rows.push({
            workload: r.workload.name,
            contender: c.name,
            measure: "process RSS growth",
            perLive: m.rssBytes / m.peakLiveBytes,
          });
        }
        return rows.filter((row) => row.perLive > 0);
      }),
    );
  if (memory.length) charts.set("memory.svg", await renderSvg(memoryChart(memory)));
  return charts;
}

function markdown(results: WorkloadResult[], saved: SavedRun, charts: string[]): string {
  const run = saved.run;
  const command = `pnpm bench ${run.argv.join(" ")} --write`.replace(/\s+/g, " ").trim();
  const out: string[] = [
    "# Performance",
    "",
    `Generated by \`${command}\` on ${saved.date}, a ${run.quick ? "quick" : "full"} run of ${results.length} workloads in ${Math.round(run.seconds)} s. Do not edit by hand: run the command again.`,
    "",
    ...busyWarning(saved),
    "## The machine",
    "",
    ...saved.machine,
    "",
    "## Reproduce",
    "",
    "```sh",
    "pnpm install                             # Node 20+; gcc on the PATH adds the native glibc line",
    "pnpm bench --write                       # the full run (5-10 minutes on 2 cores); rewrites this file and info/plots/",
    "pnpm bench --quick                       # about a minute: fewer, shorter repetitions; prints only",
    "pnpm bench --filter 'random-replace|larson' --repetitions 9",
    "pnpm bench --replot                      # redraws this file and the charts from info/plots/results.json",
    "```",
    "",
    ...method(),
    ...run.notes.map((note) => `> Note: ${note}; its rows are missing from this report.\n`),
  ];
  out.push(...summaryTable(results, saved.cores), ...targetTable(results));
  for (const chart of charts) out.push(`![${chart.replace(".svg", "")}](plots/${chart})`, "");
  out.push("## Single-threaded workloads", "");
  for (const r of results.filter(single)) out.push(...table(r));
  const families = [...new Set(results.map((r) => r.workload.family).filter((f) => f !== undefined))];
  if (families.length) out.push("## Multi-worker workloads and scaling", "");
  for (const family of families) {
    const rows = results.filter((r) => r.workload.family === family);
    out.push(`### ${family}`, "", rows[0].workload.description.replace(/ on \d+ worker\(s\)/, ""), "");
    out.push(...scalingTable(rows));
  }
  const others = results.filter((r) => !single(r) && r.workload.family === undefined);
  if (others.length) out.push("## Package workloads", "");
  for (const r of others) out.push(...table(r));
  const latencies = results.flatMap((r) => r.cases.filter((c) => c.latency).map((c) => ({ r, c })));
  if (latencies.length) {
    out.push("## Latency of single operations", "", `${latencies[0].c.latency?.method}.`, "");
    out.push(
      "| contender | p50 (ns) | p90 (ns) | p99 (ns) | p99.9 (ns) | max (ns) | samples |",
      "| --- | --: | --: | --: | --: | --: | --: |",
    );
    for (const { c } of latencies) {
      const l = c.latency as NonNullable<CaseResult["latency"]>;
      out.push(
        `| ${c.name} | ${ns(l.p50)} | ${ns(l.p90)} | ${ns(l.p99)} | ${ns(l.p999)} | ${ns(l.max)} | ${l.samples} |`,
      );
    }
    out.push("");
  }
  out.push("## Memory", "", ...memoryExplanation());
  out.push(
    "| workload | contender | peak live | peak committed heap | committed / live | process RSS growth |",
  );
  out.push("| --- | --- | --: | --: | --: | --: |");
  for (const r of results) {
    for (const c of r.cases) {
      const m = c.memory;
      if (!m || m.peakLiveBytes === 0) continue;
      const rss = m.rssBytes === undefined ? "" : mib(m.rssBytes);
      out.push(
        `| ${r.workload.name} | ${c.name} | ${mib(m.peakLiveBytes)} | ${mib(m.peakCommittedBytes)} | ${(m.peakCommittedBytes / m.peakLiveBytes).toFixed(2)} | ${rss} |`,
      );
    }
  }
  out.push("");
  return `${out.join("\n")}\n`;
}

/** A single-threaded workload, or a multi-worker one at the core count (at least 2). */
function atCores(r: WorkloadResult, cores: number): boolean {
  return r.workload.family === undefined || r.workload.workers === Math.max(2, cores);
}

/** One row per general workload (multi-worker ones at the core count), one column per contender: the ratios. */
function summaryTable(results: WorkloadResult[], cores: number): string[] {
  const rows = results.filter((r) => single(r) || (r.workload.family !== undefined && atCores(r, cores)));
  if (rows.length === 0) return [];
  const base = (name: string) => name.replace(/ \((shared|private heap per worker)\)$/, "");
  const names = [...new Set(rows.flatMap((r) => r.cases.map((c) => base(c.name))))];
  return [
    "## Summary",
    "",
    `Throughput relative to \`new Uint8Array + GC\` (higher is faster); multi-worker workloads at ${Math.max(2, cores)} workers. Tables and charts below.`,
    "",
    `| workload | ${names.join(" | ")} |`,
    `| --- | ${names.map(() => "--:").join(" | ")} |`,
    ...rows.map((r) => {
      const cells = names.map((n) => {
        const c = r.cases.find((x) => base(x.name) === n);
        return c ? times(c.ratio) : "";
      });
      return `| ${r.workload.name} | ${cells.join(" | ")} |`;
    }),
    "",
  ];
}

function targetTable(results: WorkloadResult[]): string[] {
  const rows = results.flatMap((r) => (r.targets ?? []).map((t) => ({ workload: r.workload.name, ...t })));
  if (rows.length === 0) return [];
  const state = (met: boolean | undefined) =>
    met === undefined ? "not checked (a case is missing)" : met ? "met" : "**missed**";
  return [
    "## Targets",
    "",
    "The performance targets of the package issues, checked against this run's medians.",
    "",
    "| workload | target | result |",
    "| --- | --- | --- |",
    ...rows.map((t) => `| ${t.workload} | ${t.description} | ${state(t.met)} |`),
    "",
  ];
}

function table(r: WorkloadResult): string[] {
  const unit = r.workload.unit ?? "ops";
  return [
    `### ${r.workload.name}`,
    "",
    `${r.workload.description}. Baseline: ${r.workload.baseline}.`,
    "",
    `| contender | M ${unit}/s (median) | spread | vs baseline |`,
    "| --- | --: | --: | --: |",
    ...r.cases.map(
      (c) =>
        `| ${c.name} | ${mops(c.median)} | ±${(c.spread * 100).toFixed(0)} % | ${c.name === r.workload.baseline ? "baseline" : times(c.ratio)} |`,
    ),
    "",
  ];
}

function scalingTable(rows: WorkloadResult[]): string[] {
  const counts = rows.map((r) => r.workload.workers ?? 1);
  const names = [...new Set(rows.flatMap((r) => r.cases.map((c) => c.name)))];
  const unit = rows[0].workload.unit ?? "ops";
  const header = counts.map((w) => `${w} worker${w > 1 ? "s" : ""}`);
  const out = [
    `M ${unit}/s, median (spread); the ratio is to the baseline at the same worker count.`,
    "",
    `| contender | ${header.join(" | ")} |`,
    `| --- | ${counts.map(() => "--:").join(" | ")} |`,
  ];
  for (const name of names) {
    const cells = rows.map((r) => {
      const c = r.cases.find((x) => x.name === name);
      return c ? `${mops(c.median)} (±${(c.spread * 100).toFixed(0)} %) ${times(c.ratio)}` : "";
    });
    out.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  out.push("");
  return out;
}

function busyWarning({ loadAverage, cores }: SavedRun): string[] {
  if (loadAverage < cores * 0.5) return [];
  return [
    `> **These figures were taken on a shared, busy machine** (load average ${loadAverage.toFixed(1)} on ${cores} cores when the run ended): expect wide spreads and treat ratios within ±30 % as ties. Regenerate on a quiet machine with the command above.`,
    "",
  ];
}

function machine(): string[] {
  const version = (name: string) =>
    (
      JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;
  let gcc = "not found (no native line)";
  try {
    gcc = execFileSync("gcc", ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {}
  return [
    "| | |",
    "| --- | --- |",
    `| CPU | ${cpus()[0]?.model ?? "unknown"}, ${availableParallelism()} cores available |`,
    `| memory | ${(totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| OS | ${platform()} ${release()} ${arch()} |`,
    `| Node | ${process.version} (V8 ${process.versions.v8}) |`,
    `| C compiler | ${gcc} |`,
    `| peers | @thi.ng/malloc ${version("@thi.ng/malloc")}, assemblyscript ${version("assemblyscript")}, ringbuf.js ${version("ringbuf.js")} |`,
  ];
}

function method(): string[] {
  return [
    "## Method",
    "",
    "- Every workload runs all its contenders in the same process and run, alternating: each repetition runs every case once, in an order rotated by one per repetition, so that drift (other load, CPU frequency, GC state) spreads over all of them. Each case first runs a warm-up (JIT, heap set-up, worker start) that is not counted: one run on the main thread, 0.3 s per worker for cases in the worker pool (there V8's compiler competes with the workers for the cores).",
    "- The general workloads size each case's repetition from a second, timed warm-up so that it takes about 0.25 s (0.05 s with `--quick`): contenders that differ by 1000× all get a measurable run. Throughput is operations per second of wall time, over all workers.",
    "- Reported: the median over the repetitions, the spread (half the distance between the fastest and the slowest repetition, relative to the median) and the ratio of the median to the baseline's. The baseline is `new Uint8Array + GC`: what a JavaScript user would otherwise write.",
    "- Contenders: **elfmalloc** (one heap shared by all workers); **@thi.ng/malloc** (`MemPool`, first fit; its `free` walks every used block, so it is run for proportionally fewer operations); **AssemblyScript TLSF** (the `assemblyscript` package's runtime memory manager, `--runtime minimal`, compiled to wasm at bench time and called from JavaScript); **new Uint8Array + GC** (a fresh typed array per block, dropped on free); and **native glibc malloc (reference)**, a C program of ours (`packages/bench/native/glibc-bench.c`, `gcc -O2`) that replays the same single-threaded kernels with the same random sequence and times itself: a reference line, not a JavaScript option.",
    "- Multi-worker workloads run on a pool of worker threads started once. Single-threaded allocators are either run with a **private heap per worker** (labelled so: nothing crosses workers, which is what a JavaScript user would do), or shared behind a futex lock (`@thi.ng/malloc + lock`) in the workloads where blocks move between workers. Worker counts are 1, the cores, and twice the cores (oversubscribed); every worker does the same work (weak scaling), so ideal throughput grows with workers up to the core count.",
    "- Workloads are re-implemented in TypeScript from the published descriptions of mimalloc-bench's set (no GPL or LGPL source was used): random replace (alloc-test), shbench, threadtest, larson, xmalloc-test (producer-consumer), mstress, cache-thrash, cache-scratch, malloc-large.",
    "- Reading `large`: glibc serves blocks above its mmap threshold with `mmap` and returns them with `munmap`, so every block costs fresh page faults; the JavaScript heaps keep their buffer and reuse pages already touched. `new Uint8Array` zero-fills every block and leaves the old ones to the GC.",
    "- Reading the multi-worker tables: a private heap per worker never frees another worker's block, so `larson` loses its cross-thread frees, `producer-consumer` copies bytes through the ring instead of passing pointers, and `mstress` keeps a transfer array per worker. Only shared heaps (elfmalloc, `@thi.ng/malloc + lock`) run the workloads as designed.",
    "",
  ];
}

function memoryExplanation(): string[] {
  return [
    "- Peak live: the largest sum of the sizes a workload held at once (requested sizes, no rounding).",
    "- Peak committed heap: what the heap held from the engine or the OS, sampled after every repetition: elfmalloc `stats().heapBytes`; @thi.ng/malloc its bump pointer `top` (the buffer itself is sized up front); TLSF the wasm memory's size; `new Uint8Array + GC` the growth of V8's used heap plus array buffers since the case started (garbage not yet collected included: that is memory the process holds); native glibc `mallinfo2()` arena plus mmapped bytes. Contenders that ran fewer operations (thi.ng) may not have reached the same live set.",
    "- Process RSS growth (`rss-100k`): each contender in a fresh Node process, RSS after a forced GC before the heap is made, against the peak over the run; for native glibc, the program's max RSS less that of a run without live blocks.",
    "",
  ];
}

/** A ratio with two significant digits, never in exponent notation. */
const times = (ratio: number) => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toPrecision(2)}×`;
const mops = (opsPerSecond: number) => (opsPerSecond / 1e6).toPrecision(3);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const ns = (value: number) => value.toFixed(0);
