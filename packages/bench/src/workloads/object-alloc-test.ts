import { ArenaAlloc, MemoryViews } from "@allocators/object-alloc";
import { type Op, Rng, randomOps, runOps } from "@allocators/object-alloc-test";
import type { Workload } from "../harness.js";

const HEAP = 1 << 22;

/** The same operations on a fresh arena without checking anything: what the allocator alone costs. */
function runRaw(ops: readonly Op[]): number {
  const arena = new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 0, HEAP);
  const live: number[] = [];
  for (const op of ops) {
    if (op.op === "alloc") {
      const ptr = arena.alloc(op.size, op.align);
      if (ptr) live.push(ptr);
    } else if (op.op === "free" && live.length > 0) {
      arena.dealloc(live.splice(op.index % live.length, 1)[0]);
    } else if (op.op === "realloc" && live.length > 0) {
      const i = op.index % live.length;
      const ptr = arena.realloc(live[i], op.size);
      if (ptr) live[i] = ptr;
    }
  }
  return ops.length;
}

/** What the corruption tester costs: seeded random operations with and without it, on an ArenaAlloc. */
export const corruptionTester: Workload = {
  name: "corruption-tester",
  description:
    "the corruption check's random operations on ArenaAlloc: tester (stamp, verify, overlap) vs bare",
  baseline: "ArenaAlloc bare",
  iterations: { quick: 20_000, full: 100_000 },
  cases() {
    const sequences = new Map<number, Op[]>();
    const opsFor = (n: number) => sequences.get(n) ?? sequences.set(n, randomOps(new Rng(1), n)).get(n)!;
    return [
      { name: "ArenaAlloc bare", run: (n) => runRaw(opsFor(n)) },
      {
        name: "ArenaAlloc under the tester",
        run(n) {
          const ops = opsFor(n);
          const { violation } = runOps(
            new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 0, HEAP),
            ops,
            1,
            16,
          );
          if (violation) throw violation;
          return ops.length;
        },
      },
    ];
  },
};
