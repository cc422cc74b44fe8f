/**
 * Results of checks and the report card that shows them.
 *
 * @module
 */
import type { ViolationKind } from "./session.js";

/** The checks, in the order the report card lists them. */
export const CHECKS = [
  "corruption",
  "property",
  "no-double-hand-out",
  "no-overlap",
  "alignment",
  "contents",
  "realloc",
  "zeroed",
  "usable-size",
  "out-of-memory",
  "too-large",
  "leak",
  "size-align-matrix",
  "object-cache",
  "workers",
] as const;

/**
 * The checks about memory (blocks, alignment, realloc, sizes, workers): the ones that do not apply to an
 * allocator of JavaScript objects.
 */
export const MEMORY_CHECKS: readonly CheckName[] = CHECKS.filter(
  (check) => check !== "corruption" && check !== "property" && check !== "object-cache",
);

/** The name of a check. */
export type CheckName = (typeof CHECKS)[number];

/** A failure, with what it takes to reproduce it. */
export interface Failure {
  /** What broke. */
  kind: ViolationKind;
  /** One line: what the allocator did wrong. */
  message: string;
  /** The seed that replays the run. */
  seed: number;
  /** The (shrunk, when the check shrinks) operations that lead to the failure, the failing one last. */
  ops: string[];
}

/** The outcome of one check. `skip` is a fact of the report (the allocator cannot be asked), with its reason. */
export interface CheckResult {
  check: CheckName;
  status: "pass" | "fail" | "skip";
  /** What was run (pass), why not (skip), or the failure's message (fail). */
  detail: string;
  failure?: Failure;
}

/** Every check run on one allocator. */
export interface Report {
  allocator: string;
  seed: number;
  results: CheckResult[];
  /** True when no check failed. */
  passed: boolean;
}

/** The result of `check`, if it was run. */
export function resultOf(report: Report, check: CheckName): CheckResult | undefined {
  return report.results.find((r) => r.check === check);
}

/** Builds a report from results, in card order. */
export function makeReport(allocator: string, seed: number, results: CheckResult[]): Report {
  const sorted = [...results].sort((a, b) => CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check));
  return { allocator, seed, results: sorted, passed: sorted.every((r) => r.status !== "fail") };
}

const MARK = { pass: "PASS", fail: "FAIL", skip: "SKIP" } as const;
const SHOWN_OPS = 12;

/** The readable report card: one line per check, and for each failure its kind, seed and operations. */
export function formatReport(report: Report): string {
  const width = Math.max(...report.results.map((r) => r.check.length));
  const lines = [`${report.allocator}  (seed ${report.seed})`];
  for (const r of report.results) {
    lines.push(`  ${MARK[r.status]}  ${r.check.padEnd(width)}  ${r.detail}`);
    if (r.failure) {
      const { kind, seed, ops } = r.failure;
      const shown = ops.length > SHOWN_OPS ? ["...", ...ops.slice(-SHOWN_OPS)] : ops;
      lines.push(
        `        ${" ".repeat(width)}  ${kind}, seed ${seed}, ${ops.length} ops: ${shown.join("; ")}`,
      );
    }
  }
  const counts = (status: CheckResult["status"]) => report.results.filter((r) => r.status === status).length;
  lines.push(
    `  ${report.passed ? "OK" : "FAILED"}: ${counts("pass")} passed, ${counts("fail")} failed, ${counts("skip")} skipped`,
  );
  return lines.join("\n");
}
