/**
 * Process memory: the 100k-live random-replace workload, each contender in a fresh Node process (see
 * `rss-probe.ts`), reporting how far the process's RSS grew against the peak live bytes. The native line is
 * the C program's max RSS over that of a run with no live blocks.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { GC, localContenders, THING } from "../adapters/contenders.js";
import type { BenchCase, MemoryFigures, Workload } from "../harness.js";
import { NATIVE, nativeProgram } from "../native.js";

const PROBE = fileURLToPath(new URL("../rss-probe.ts", import.meta.url));

function probeCase(
  name: string,
  command: string,
  args: (iterations: number) => string[],
  scale = 1,
): BenchCase {
  let memory: MemoryFigures | undefined;
  return {
    name,
    scale,
    run(iterations) {
      const result = spawnSync(command, args(iterations), { encoding: "utf8" });
      if (result.status !== 0) throw new Error(`${name}: ${result.stderr}`);
      const figures = JSON.parse(result.stdout.trim().split("\n").pop() as string);
      memory = {
        peakCommittedBytes: Math.max(memory?.peakCommittedBytes ?? 0, figures.peakCommittedBytes),
        peakLiveBytes: Math.max(memory?.peakLiveBytes ?? 0, figures.peakLiveBytes),
        rssBytes: Math.max(memory?.rssBytes ?? 0, figures.rssBytes ?? figures.maxRssBytes - idleNativeRss()),
      };
      return { ops: figures.ops, seconds: figures.seconds };
    },
    memory: () => memory,
  };
}

let idleRss: number | undefined;

/** The max RSS of the native program with one tiny live block: its size with no heap to speak of. */
function idleNativeRss(): number {
  const program = nativeProgram() as string;
  idleRss ??= JSON.parse(
    spawnSync(program, ["random-replace", "1", "1", "8", "8"], { encoding: "utf8" }).stdout,
  ).maxRssBytes as number;
  return idleRss;
}

export const rss: Workload = {
  name: "rss-100k",
  description:
    "100k live blocks of 8-256 B and random replaces, each contender in a fresh process: RSS growth",
  baseline: GC,
  iterations: { quick: 100_000, full: 1_000_000 },
  unit: "free+malloc pairs",
  slow: true,
  cases() {
    const node = [process.execPath, "--conditions=source", "--import", "tsx", "--expose-gc", PROBE];
    const list = localContenders().map((c) =>
      probeCase(c.name, node[0], (n) => [...node.slice(1), c.name, String(n)], c.name === THING ? 0.0005 : 1),
    );
    const program = nativeProgram();
    if (program) {
      list.push(probeCase(NATIVE, program, (n) => ["random-replace", String(n), "100000", "8", "256"]));
    }
    return list;
  },
};
