/**
 * The native reference line: `native/glibc-bench.c`, compiled with gcc at bench time when gcc is present, runs
 * the single-threaded kernels it implements over the C library's malloc and reports its own timing. The
 * binary is cached by source hash under `node_modules/.cache/allocators-bench/`.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchCase, MemoryFigures } from "./harness.js";

export const NATIVE = "native glibc malloc (reference)";

const SOURCE = fileURLToPath(new URL("../native/glibc-bench.c", import.meta.url));
const CACHE = fileURLToPath(new URL("../node_modules/.cache/allocators-bench/", import.meta.url));

/** The kernels the C program implements, and the order of their parameters on its command line. */
const PARAMETERS: Record<string, string[]> = {
  "random-replace": ["live", "minSize", "maxSize"],
  shbench: ["batch", "keep"],
  threadtest: ["objects", "size"],
};

let binary: string | undefined | null;

/** Compiles the program once; null when gcc is missing or fails. */
function build(): string | null {
  if (binary !== undefined) return binary;
  const hash = createHash("sha256").update(readFileSync(SOURCE)).digest("hex").slice(0, 12);
  const out = `${CACHE}glibc-bench-${hash}`;
  try {
    if (!existsSync(out)) {
      mkdirSync(CACHE, { recursive: true });
      execFileSync("gcc", ["-O2", "-o", out, SOURCE], { stdio: "pipe" });
    }
    binary = out;
  } catch {
    binary = null;
  }
  return binary;
}

/** The compiled program, or undefined when gcc is missing or fails. */
export function nativeProgram(): string | undefined {
  return build() ?? undefined;
}

/** The native case of a kernel, or undefined when the C program does not implement it or gcc is missing. */
export function nativeCase(kernel: string, params: Record<string, unknown>): BenchCase | undefined {
  const names = PARAMETERS[kernel];
  const program = build();
  if (!names || !program) return undefined;
  const args = names.map((name) => String(params[name]));
  let memory: MemoryFigures | undefined;
  return {
    name: NATIVE,
    run(iterations) {
      const result = spawnSync(program, [kernel, String(iterations), ...args], { encoding: "utf8" });
      if (result.status !== 0) throw new Error(`${program} failed: ${result.stderr}`);
      const figures = JSON.parse(result.stdout) as { ops: number; seconds: number } & MemoryFigures;
      memory = {
        peakCommittedBytes: Math.max(memory?.peakCommittedBytes ?? 0, figures.peakCommittedBytes),
        peakLiveBytes: Math.max(memory?.peakLiveBytes ?? 0, figures.peakLiveBytes),
      };
      return { ops: figures.ops, seconds: figures.seconds };
    },
    memory: () => memory,
  };
}
