import { AddressSpace } from "@allocators/mmap-alloc";
import { ObjectPool, SlabAlloc, struct } from "@allocators/slab-alloc";
import { atLeast, atLeastRate, type BenchCase, type Workload } from "../harness.js";

/** Objects kept live in every slab, so the pairs run on a partly used slab, as in a real heap. */
const RESIDENT = 100;

function pairsCase(space: AddressSpace, size: number, checked: boolean): BenchCase {
  const slab = new SlabAlloc(space, { size, checked });
  const resident = Array.from({ length: RESIDENT }, () => slab.alloc());
  return {
    name: `SlabAlloc ${size} B${checked ? " checked" : ""}`,
    run(pairs) {
      for (let i = 0; i < pairs; i++) slab.dealloc(slab.alloc());
      return pairs;
    },
    teardown() {
      for (const p of resident) slab.dealloc(p);
      slab.dispose();
    },
  };
}

/** Alloc/free pairs of one object size (the Rust crate's `bench_alloc_free_pairs`); target 50 M/s at 64 B. */
export const slabPairs: Workload = {
  name: "slab-pairs",
  description:
    "SlabAlloc alloc/free pairs (ops = pairs), 16 to 4096 B objects; default options (foreign and interior pointers rejected), checked mode (double frees too) where said; target 64 B >= 50 M/s",
  baseline: "SlabAlloc 64 B",
  targets: [
    atLeastRate("SlabAlloc 64 B", 50e6, "M pairs/s", "issue #6: 64 B alloc/free pairs on one thread"),
  ],
  iterations: { quick: 2_000_000, full: 10_000_000 },
  cases() {
    const space = AddressSpace.create({ maxBytes: 256 << 20 });
    return [
      pairsCase(space, 16, false),
      pairsCase(space, 64, false),
      pairsCase(space, 256, false),
      pairsCase(space, 4096, false),
      pairsCase(space, 64, true),
    ];
  },
};

/**
 * Counts V8's garbage collections (`PerformanceObserver` 'gc' entries) per case, during the measured runs only
 * (the harness's first call of each case is its warm-up).
 */
class GcCounter {
  readonly counts = new Map<string, number>();
  #observed = 0;
  readonly #observer = new PerformanceObserver((list) => {
    this.#observed += list.getEntries().length;
  });
  constructor() {
    this.#observer.observe({ entryTypes: ["gc"] });
  }
  /**
   * Runs `work`, then adds the collections it caused to `name` (unless this is the warm-up). A full collection
   * first (the bench runs with --expose-gc) empties the young generation, so a case is not charged for the
   * garbage of the case before it.
   */
  async measure(name: string, work: () => number): Promise<number> {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#observed += this.#observer.takeRecords().length;
    const before = this.#observed;
    const ops = work();
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#observed += this.#observer.takeRecords().length;
    const warm = this.counts.has(name);
    this.counts.set(name, (this.counts.get(name) ?? 0) + (warm ? this.#observed - before : 0));
    return ops;
  }
  report(): void {
    const parts = [...this.counts].map(([name, n]) => `${name} ${n}`);
    console.log(`  GCs during the measured runs ('gc' PerformanceObserver entries): ${parts.join(", ")}`);
    this.#observer.disconnect();
  }
}

/**
 * Live particles. One random particle is replaced per op, so a particle lives 100 000 ops on average: long
 * enough that a `new` particle often survives young collections and is promoted, as the entities of a game or
 * a simulation are.
 */
const LIVE_PARTICLES = 100_000;

/** A particle as gl-matrix-style code writes it: vectors are small typed arrays. */
interface VectorParticle {
  pos: Float64Array;
  vel: Float64Array;
  ttl: number;
}

/** A particle of plain number fields. */
interface PlainParticle {
  x: number;
  y: number;
  vx: number;
  vy: number;
  ttl: number;
}

// An LCG modulo 2^30: the seed stays a small integer (a Smi), so the generator itself allocates nothing.
let seed = 1;
function nextIndex(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x3fffffff;
  return seed % LIVE_PARTICLES;
}
let sink = 0;

const newVector = (): VectorParticle => ({ pos: new Float64Array(3), vel: new Float64Array(3), ttl: 0 });
function emitVector(p: VectorParticle, i: number): VectorParticle {
  p.pos[0] = i & 1023;
  p.pos[1] = (i >>> 10) & 1023;
  p.pos[2] = 0;
  p.vel[0] = 0.5;
  p.vel[1] = -0.25;
  p.vel[2] = 1;
  p.ttl = 100;
  return p;
}

const newPlain = (): PlainParticle => ({ x: 0, y: 0, vx: 0, vy: 0, ttl: 0 });
function emitPlain(p: PlainParticle, i: number): PlainParticle {
  p.x = i & 1023;
  p.y = (i >>> 10) & 1023;
  p.vx = 0.5;
  p.vy = -0.25;
  p.ttl = 100;
  return p;
}

/** ObjectPool against `new` for the same particles: each op frees one, emits one and moves another. */
function poolCases<P extends object>(
  kind: string,
  create: () => P,
  emit: (p: P, i: number) => P,
  move: (p: P) => number,
  gcs: GcCounter,
): BenchCase[] {
  const pool = new ObjectPool<P>({ create, slabObjects: 256 });
  const pooled = Array.from({ length: LIVE_PARTICLES }, (_, i) => emit(pool.alloc()!, i));
  const fresh = Array.from({ length: LIVE_PARTICLES }, (_, i) => emit(create(), i));
  return [
    {
      name: `ObjectPool, ${kind}`,
      run: (steps) =>
        gcs.measure(`ObjectPool, ${kind}`, () => {
          for (let i = 0; i < steps; i++) {
            const k = nextIndex();
            pool.dealloc(pooled[k]);
            pooled[k] = emit(pool.alloc()!, i);
            sink = (sink + move(pooled[(k * 7) % LIVE_PARTICLES])) | 0;
          }
          return steps;
        }),
    },
    {
      name: `new + GC, ${kind}`,
      run: (steps) =>
        gcs.measure(`new + GC, ${kind}`, () => {
          for (let i = 0; i < steps; i++) {
            const k = nextIndex();
            fresh[k] = emit(create(), i);
            sink = (sink + move(fresh[(k * 7) % LIVE_PARTICLES])) | 0;
          }
          return steps;
        }),
    },
  ];
}

/** The same churn with particles as structs in a SlabAlloc (no JavaScript object per particle at all). */
function structCase(gcs: GcCounter): BenchCase {
  // The shared backing, as every other heap of this process: typed arrays over a resizable ArrayBuffer are
  // another kind to V8, which would make the address space's and elfmalloc's code polymorphic for the
  // workloads after this one (see malloc-bind.ts).
  const space = AddressSpace.create({ maxBytes: 64 << 20 });
  const P = struct({ x: "f64", y: "f64", z: "f64", vx: "f64", vy: "f64", vz: "f64", ttl: "u32" });
  const f = P.bind(space);
  const slab = new SlabAlloc(space, { size: P.layout.size, align: P.layout.align });
  const emit = (p: number, i: number) => {
    f.x.set(p, i & 1023);
    f.y.set(p, (i >>> 10) & 1023);
    f.z.set(p, 0);
    f.vx.set(p, 0.5);
    f.vy.set(p, -0.25);
    f.vz.set(p, 1);
    f.ttl.set(p, 100);
    return p;
  };
  const structs = Array.from({ length: LIVE_PARTICLES }, (_, i) => emit(slab.alloc(), i));
  return {
    name: "SlabAlloc structs",
    run: (steps) =>
      gcs.measure("SlabAlloc structs", () => {
        for (let i = 0; i < steps; i++) {
          const k = nextIndex();
          slab.dealloc(structs[k]);
          structs[k] = emit(slab.alloc(), i);
          const q = structs[(k * 7) % LIVE_PARTICLES];
          f.x.set(q, f.x.get(q) + f.vx.get(q));
          sink = (sink + f.ttl.get(q)) | 0;
        }
        return steps;
      }),
  };
}

/** Reports the GC counts after the last repetition (as the teardown of the workload's last case). */
function reporting(cases: BenchCase[], gcs: GcCounter): BenchCase[] {
  const last = cases[cases.length - 1];
  last.teardown = () => {
    gcs.report();
    if (sink === 1) console.log("  (sink)");
  };
  return cases;
}

/**
 * A particle system's churn with vector particles (two `Float64Array(3)` each, as gl-matrix-style code has
 * them): the kind of object pools are for, whose construction costs several allocations.
 */
export const poolChurn: Workload = {
  name: "pool-churn",
  description: `particle churn, ${LIVE_PARTICLES} live, one replaced per op; particles with 2 Float64Array(3) vectors; target ObjectPool >= 2x new, 0 GCs`,
  baseline: "new + GC, vector particles",
  targets: [
    atLeast("ObjectPool, vector particles", 2, "new + GC, vector particles", "issue #6: ObjectPool on churn"),
  ],
  iterations: { quick: 500_000, full: 2_000_000 },
  cases() {
    const gcs = new GcCounter();
    const move = (p: VectorParticle) => {
      p.pos[0] += p.vel[0];
      return p.ttl;
    };
    return reporting(
      [...poolCases("vector particles", newVector, emitVector, move, gcs), structCase(gcs)],
      gcs,
    );
  },
};

/**
 * The same churn with plain objects of number fields: V8's young generation makes `new` cheap here, and a
 * pool mostly buys the absence of collections, not speed. Reported so the trade-off is visible.
 */
export const poolChurnPlain: Workload = {
  name: "pool-churn-plain",
  description: `particle churn, ${LIVE_PARTICLES} live, one replaced per op; plain { x, y, vx, vy, ttl } objects (informative: no target)`,
  baseline: "new + GC, plain particles",
  iterations: { quick: 500_000, full: 2_000_000 },
  cases() {
    const gcs = new GcCounter();
    const move = (p: PlainParticle) => {
      p.x += p.vx;
      return p.ttl;
    };
    return reporting(poolCases("plain particles", newPlain, emitPlain, move, gcs), gcs);
  },
};
