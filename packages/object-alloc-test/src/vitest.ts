/**
 * Vitest helpers: one test per check of the report card, so a failing check shows as a failing test with its
 * seed and operations.
 *
 * @module
 */
import type { Alloc } from "@allocators/object-alloc";
import { beforeAll, describe, expect, it } from "vitest";
import { type Adapter, type AllocAdapter, allocAdapter } from "./adapter.js";
import { CHECKS, type CheckName, type CheckResult, type Report } from "./report.js";
import { type CheckOptions, checkAdapter } from "./run.js";

/** Options of {@link describeAdapter}: those of a run, and the status each check is expected to have. */
export interface DescribeOptions extends CheckOptions {
  /**
   * The expected status of checks whose outcome is a known fact of the allocator (a third-party bug, what an
   * arena does not do). Every other check must not fail (it passes, or is skipped with a reason).
   */
  expect?: Partial<Record<CheckName, CheckResult["status"]>>;
}

/** Explains a result in an assertion message: the detail, and the seed and operations of a failure. */
export function explain(result: CheckResult | undefined): string {
  if (!result) return "not run";
  const failure = result.failure;
  return failure ? `${result.detail}\n  seed ${failure.seed}: ${failure.ops.join("; ")}` : result.detail;
}

/** Declares a `describe` block with one test per check of `adapter`'s report (all checks run once, first). */
export function describeAdapter(adapter: Adapter, options: DescribeOptions = {}): void {
  describe(adapter.name, () => {
    let report: Report | undefined;
    let error: unknown;
    // A run that throws must fail every test: vitest would otherwise report them as skipped.
    beforeAll(async () => {
      try {
        report = await checkAdapter(adapter, options);
      } catch (thrown) {
        error = thrown;
      }
    }, 120_000);
    for (const check of options.only ?? CHECKS) {
      const expected = options.expect?.[check];
      it(expected ? `${check} (${expected})` : check, () => {
        if (!report) throw error;
        const result = report.results.find((r) => r.check === check);
        if (expected) expect(result?.status, explain(result)).toBe(expected);
        else expect(result?.status, explain(result)).not.toBe("fail");
      });
    }
  });
}

/** {@link describeAdapter} for a general allocator given as a name and a factory. */
export function describeAlloc(
  name: string,
  factory: (() => Alloc) | AllocAdapter,
  options: DescribeOptions = {},
): void {
  describeAdapter({ ...allocAdapter(factory), name }, options);
}
