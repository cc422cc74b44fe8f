/**
 * `pnpm bench [--quick] [--filter <regexp>] [--repetitions <n>]`: runs every workload whose name matches and
 * prints, per case, the median operations per second, the spread and the ratio to the workload's baseline.
 */
import { parseArgs } from "node:util";
import { type CaseResult, runWorkload } from "./harness.js";
import { workloads } from "./workloads/index.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    filter: { type: "string", default: "" },
    repetitions: { type: "string" },
  },
});
const quick = values.quick ?? false;
const filter = new RegExp(values.filter ?? "");
const repetitions = Number(values.repetitions ?? (quick ? 3 : 7));

console.log(`allocators-ts bench: node ${process.version}, ${process.arch}, ${quick ? "quick" : "full"} run`);
for (const workload of workloads.filter((w) => filter.test(w.name))) {
  console.log(`\n${workload.name}: ${workload.description}`);
  const results = await runWorkload(workload, {
    quick,
    repetitions,
    progress: (line) => process.stderr.write(`  … ${line}\r`),
  });
  printTable(results, workload.baseline);
}

function printTable(results: CaseResult[], baseline: string): void {
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const mops = (r.median / 1e6).toFixed(2).padStart(9);
    const spread = `±${(r.spread * 100).toFixed(1)}%`.padStart(8);
    const ratio = r.name === baseline ? "baseline" : `${r.ratio.toFixed(2)}x`;
    console.log(`  ${r.name.padEnd(width)}  ${mops} M ops/s ${spread}  ${ratio}`);
  }
}
