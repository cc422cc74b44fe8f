import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/index.js";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Runs the CLI from its sources, as `node --import tsx` runs it on a TypeScript adapter. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", CLI, ...args],
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const quick = ["--ops", "2000", "--seed", "9", "--property-runs", "10"];

describe("object-alloc-test CLI", () => {
  it("prints the report card and exits 1 when a check fails", async () => {
    const { code, stdout } = await cli(here("../examples/adapters/arena.ts"), ...quick);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ArenaAlloc \(@allocators\/object-alloc\) {2}\(seed 9\)$/m);
    expect(stdout).toMatch(/^ {2}FAIL {2}leak +after freeing everything/m);
    expect(stdout).toMatch(/^ {2}SKIP {2}workers +not thread-safe/m);
    expect(stdout).toMatch(/^ {2}FAILED: 12 passed, 1 failed, 2 skipped$/m);
  });

  it("runs a thread-safe adapter from its own workers (loading TypeScript) and exits 0", async () => {
    const { code, stdout } = await cli(here("./fixtures/class-alloc.ts"), ...quick, "--workers", "2");
    expect(stdout).toMatch(/^ {2}PASS {2}workers +2 workers x 2000 ops on one heap/m);
    expect(code).toBe(0);
  });

  it("prints JSON with --json", async () => {
    const { code, stdout } = await cli(
      here("./fixtures/class-alloc.ts"),
      ...quick,
      "--workers",
      "0",
      "--json",
    );
    const [report] = JSON.parse(stdout) as Report[];
    expect(code).toBe(0);
    expect(report.seed).toBe(9);
    expect(report.results.find((r) => r.check === "workers")?.status).toBe("skip");
  });

  it("explains its usage and rejects bad numbers", async () => {
    expect((await cli()).stderr).toMatch(/^usage: object-alloc-test <adapter module>/);
    const bad = await cli(here("./fixtures/class-alloc.ts"), "--ops=-3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ops must be a non-negative integer; got -3/);
  });
});
