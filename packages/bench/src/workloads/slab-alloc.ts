import { AddressSpace } from "@allocators/mmap-alloc";
import { ObjectPool, SlabAlloc, struct } from "@allocators/slab-alloc";
import type { BenchCase, Workload } from "../harness.js";

/** Objects kept live in every slab, so the pairs run on a partly used slab, as in a real heap. */
const RESIDENT = 100;

function pairsCase(space: AddressSpace, size: number, checked: boolean): BenchCase {
  const slab = new SlabAlloc(space, { size, checked });
  const resident = Array.from({ length: RESIDENT }, () => slab.alloc());
  return {
    name: `SlabAlloc ${size} B${checked ? "" : " unchecked"}`,
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
    "SlabAlloc alloc/free pairs (ops = pairs), 16 to 4096 B objects; checked unless said; target 64 B >= 50 M/s",
  baseline: "SlabAlloc 64 B",
  iterations: { quick: 2_000_000, full: 10_000_000 },
  cases() {
    const space = AddressSpace.create({ maxBytes: 256 << 20 });
    return [
      pairsCase(space, 16, true),
      pairsCase(space, 64, true),
      pairsCase(space, 256, true),
      pairsCase(space, 4096, true),
      pairsCase(space, 64, false),
    ];
  },
};

/**
 * Live particles; each lives this many replacements on average, long enough that a `new` particle survives
 * young-generation collections and is promoted, as the entities of a game or simulation are.
 */
const LIVE_PARTICLES = 100_000;

interface Particle {
  x: number;
  y: number;
  vx: number;
  vy: number;
  ttl: number;
}

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
  /** Runs `work`, then adds the collections it caused to `name` (unless this is the warm-up). */
  async measure(name: string, work: () => number): Promise<number> {
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
 * A particle system's churn: `LIVE_PARTICLES` live particles, each step one dies and a new one is emitted
 * and initialised, then a sweep moves a few. ObjectPool and structs in a SlabAlloc against `new` objects left
 * to the garbage collector.
 */
export const poolChurn: Workload = {
  name: "pool-churn",
  description: `particle churn: ${LIVE_PARTICLES} live, one replaced per op; ObjectPool vs new + GC vs structs in a SlabAlloc; target pool >= 2x new, 0 GCs`,
  baseline: "new + GC",
  iterations: { quick: 1_000_000, full: 5_000_000 },
  cases() {
    const gcs = new GcCounter();
    let seed = 1;
    const nextIndex = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % LIVE_PARTICLES;
    };
    const emit = (p: Particle, i: number) => {
      p.x = i & 1023;
      p.y = (i >>> 10) & 1023;
      p.vx = 0.5;
      p.vy = -0.25;
      p.ttl = 100;
      return p;
    };

    const pool = new ObjectPool<Particle>({
      create: () => ({ x: 0, y: 0, vx: 0, vy: 0, ttl: 0 }),
      slabObjects: 256,
    });
    const pooled: Particle[] = Array.from({ length: LIVE_PARTICLES }, (_, i) => emit(pool.alloc()!, i));

    const fresh: Particle[] = Array.from({ length: LIVE_PARTICLES }, (_, i) =>
      emit({ x: 0, y: 0, vx: 0, vy: 0, ttl: 0 }, i),
    );

    const space = AddressSpace.create({ maxBytes: 64 << 20, backing: "local" });
    const P = struct({ x: "f64", y: "f64", vx: "f64", vy: "f64", ttl: "u32" });
    const f = P.bind(space);
    const slab = new SlabAlloc(space, { size: P.layout.size, align: P.layout.align });
    const emitStruct = (p: number, i: number) => {
      f.x.set(p, i & 1023);
      f.y.set(p, (i >>> 10) & 1023);
      f.vx.set(p, 0.5);
      f.vy.set(p, -0.25);
      f.ttl.set(p, 100);
      return p;
    };
    const structs = Array.from({ length: LIVE_PARTICLES }, (_, i) => emitStruct(slab.alloc(), i));

    let sink = 0;
    const cases: BenchCase[] = [
      {
        name: "ObjectPool",
        run: (steps) =>
          gcs.measure("ObjectPool", () => {
            for (let i = 0; i < steps; i++) {
              const k = nextIndex();
              pool.dealloc(pooled[k]);
              const p = emit(pool.alloc()!, i);
              pooled[k] = p;
              const q = pooled[(k * 7) % LIVE_PARTICLES];
              q.x += q.vx;
              sink = (sink + q.ttl) | 0;
            }
            return steps;
          }),
      },
      {
        name: "new + GC",
        run: (steps) =>
          gcs.measure("new + GC", () => {
            for (let i = 0; i < steps; i++) {
              const k = nextIndex();
              const p = emit({ x: 0, y: 0, vx: 0, vy: 0, ttl: 0 }, i);
              fresh[k] = p;
              const q = fresh[(k * 7) % LIVE_PARTICLES];
              q.x += q.vx;
              sink = (sink + q.ttl) | 0;
            }
            return steps;
          }),
      },
      {
        name: "SlabAlloc structs",
        run: (steps) =>
          gcs.measure("SlabAlloc structs", () => {
            for (let i = 0; i < steps; i++) {
              const k = nextIndex();
              slab.dealloc(structs[k]);
              structs[k] = emitStruct(slab.alloc(), i);
              const q = structs[(k * 7) % LIVE_PARTICLES];
              f.x.set(q, f.x.get(q) + f.vx.get(q));
              sink = (sink + f.ttl.get(q)) | 0;
            }
            return steps;
          }),
        teardown() {
          gcs.report();
          if (sink === 0) console.log("  (sink is 0)");
        },
      },
    ];
    return cases;
  },
};
