#!/usr/bin/env node
/**
 * `object-alloc-test <module> [--workers N] [--ops N] [--seed S] [--property-runs N] [--json]`: checks every
 * adapter the module exports, prints the report card (or JSON), and exits 1 when any check failed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkModule } from "./node.js";
import { formatReport } from "./report.js";

const USAGE = `usage: object-alloc-test <adapter module> [--workers N] [--ops N] [--seed S] [--property-runs N] [--json]

The module exports an adapter { name, create() [, share(), attach()] } as default, as \`adapters\` (an array),
or as named exports. For a TypeScript module, run it with tsx: node --import tsx $(which object-alloc-test) x.ts`;

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`--${name} must be a non-negative integer; got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: "string" },
      ops: { type: "string" },
      seed: { type: "string" },
      "property-runs": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const reports = await checkModule(positionals[0], {
    workers: count(values.workers, "workers"),
    ops: count(values.ops, "ops"),
    seed: count(values.seed, "seed"),
    propertyRuns: count(values["property-runs"], "property-runs"),
  });
  console.log(values.json ? JSON.stringify(reports, null, 2) : reports.map(formatReport).join("\n\n"));
  return reports.every((r) => r.passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
