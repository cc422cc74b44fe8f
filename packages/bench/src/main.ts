/**
 * `pnpm bench [--quick] [--filter <regexp>] [--repetitions <n>] [--write] [--replot]`: runs every workload whose
 * name matches and prints, per case, the median operations per second, the spread and the ratio to the
 * workload's baseline. `--write` also regenerates `info/performance.md`, `info/plots/*.svg` and
 * `info/plots/results.json` from the results; `--replot` redraws them from that JSON without running anything.
 */
import { parseArgs } from "node:util";
import { prepareContenders } from "./adapters/contenders.js";
import { type CaseResult, runWorkload } from "./harness.js";
import { closePool } from "./pool.js";
import { replot, type WorkloadResult, writeReport } from "./report.js";
import { generalWorkloads } from "./workloads/general.js";
import { workloads } from "./workloads/index.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    filter: { type: "string", default: "" },
    repetitions: { type: "string" },
    write: { type: "boolean", default: false },
    replot: { type: "boolean", default: false },
  },
});
if (values.replot) {
  for (const file of await replot()) console.log(`wrote ${file}`);
  process.exit(0);
}
const quick = values.quick ?? false;
const filter = new RegExp(values.filter ?? "");
const repetitions = Number(values.repetitions ?? (quick ? 3 : 5));

const TARGET_STATE: Record<string, string> = { true: "met", false: "MISSED", undefined: "not checked" };
const started = Date.now();
console.log(`allocators-ts bench: node ${process.version}, ${process.arch}, ${quick ? "quick" : "full"} run`);
const notes = await prepareContenders();
for (const note of notes) console.log(`note: ${note}`);
const selected = [...workloads, ...generalWorkloads].filter(
  (w) => filter.test(w.name) && !(quick && w.slow && !values.filter),
);
const results: WorkloadResult[] = [];
for (const [n, workload] of selected.entries()) {
  console.log(`\n[${n + 1}/${selected.length}] ${workload.name}: ${workload.description}`);
  const workloadStart = Date.now();
  const cases = await runWorkload(workload, {
    quick,
    repetitions,
    progress: (line) => {
      if (process.stderr.isTTY) process.stderr.write(`\x1b[2K  … ${line}\r`);
    },
  }).catch((error: Error) => {
    // One broken contender (a package still being written) must not stop the other workloads.
    notes.push(`${workload.name} failed: ${error.message.split("\n")[0]}`);
    console.log(`  failed: ${error.stack ?? error.message}`);
    return undefined;
  });
  if (process.stderr.isTTY) process.stderr.write("\x1b[2K");
  if (!cases) continue;
  printTable(cases, workload.baseline, workload.unit ?? "ops");
  const earlier = new Map(results.map((r) => [r.workload.name, r.cases]));
  const targets = (workload.targets ?? []).map((t) => ({
    description: t.description,
    met: t.met(cases, earlier),
  }));
  for (const t of targets) console.log(`  target ${TARGET_STATE[String(t.met)]}: ${t.description}`);
  console.log(`  (${((Date.now() - workloadStart) / 1000).toFixed(1)} s)`);
  results.push({ workload, cases, targets });
}
await closePool();
const seconds = (Date.now() - started) / 1000;
console.log(`\n${results.length} of ${selected.length} workloads in ${seconds.toFixed(0)} s`);
if (values.write) {
  const argv = process.argv.slice(2).filter((a) => a !== "--write");
  const written = await writeReport(results, { quick, repetitions, seconds, argv, notes });
  for (const file of written) console.log(`wrote ${file}`);
}

function printTable(results: CaseResult[], baseline: string, unit: string): void {
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const mops = (r.median / 1e6).toFixed(3).padStart(9);
    const spread = `±${(r.spread * 100).toFixed(1)}%`.padStart(8);
    const ratio = r.name === baseline ? "baseline" : `${r.ratio.toFixed(2)}x`;
    const memory = r.memory
      ? `  peak heap ${mib(r.memory.peakCommittedBytes)} for ${mib(r.memory.peakLiveBytes)} live` +
        (r.memory.rssBytes === undefined ? "" : `, RSS +${mib(r.memory.rssBytes)}`)
      : "";
    console.log(`  ${r.name.padEnd(width)}  ${mops} M ${unit}/s ${spread}  ${ratio.padStart(8)}${memory}`);
    if (r.latency) {
      const l = r.latency;
      console.log(
        `  ${"".padEnd(width)}  latency ns/op p50 ${l.p50.toFixed(0)} p90 ${l.p90.toFixed(0)} p99 ${l.p99.toFixed(0)} p99.9 ${l.p999.toFixed(0)} max ${l.max.toFixed(0)}`,
      );
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}
