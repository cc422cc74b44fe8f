import { describe, expect, it } from "vitest";
import { ObjectPool } from "../src/index.js";
import { random } from "./helpers.js";

interface Particle {
  x: number;
  y: number;
  ttl: number;
  target: object | null;
}

const newParticle = (): Particle => ({ x: 0, y: 0, ttl: 0, target: null });

describe("ObjectPool", () => {
  it("hands back the object it was given, without creating, in the state reset left it", () => {
    let resets = 0;
    const pool = new ObjectPool<Particle>({
      create: newParticle,
      reset: (p) => {
        p.target = null;
        resets++;
      },
    });
    const a = pool.alloc()!;
    a.x = 3;
    a.target = {};
    pool.dealloc(a);
    const b = pool.alloc()!;
    expect(b).toBe(a);
    expect(b.x).toBe(3);
    expect(b.target).toBeNull();
    expect(resets).toBe(1);
    expect(pool.stats()).toMatchObject({ objects: 64, creates: 64, live: 1, slabs: 1 });
  });

  it("reaches a steady state: a churn hands back only the objects of its warm-up, and creates none", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle, slabObjects: 32 });
    const next = random(3);
    const live: Particle[] = [];
    const seen = new Set<Particle>();
    const churn = (steps: number, record: boolean) => {
      for (let i = 0; i < steps; i++) {
        if (live.length >= 500 || (live.length > 0 && next() < 0.5)) {
          const k = Math.floor(next() * live.length);
          pool.dealloc(live[k]);
          live[k] = live[live.length - 1];
          live.pop();
        } else {
          const p = pool.alloc()!;
          expect(live.includes(p)).toBe(false);
          live.push(p);
          if (record) seen.add(p);
        }
      }
    };
    // Warm-up: the peak of the churn (500 live objects), then churn; 16 slabs of 32 cover it.
    for (let i = 0; i < 500; i++) live.push(pool.alloc()!);
    for (const p of live) seen.add(p);
    churn(20_000, true);
    const { creates } = pool.stats();
    expect(creates).toBe(512);
    churn(20_000, false);
    expect(pool.stats().creates).toBe(creates);
    for (const p of live) expect(seen.has(p)).toBe(true);
    expect(pool.check()).toEqual([]);
  });

  it("detects a foreign object and a double free, and stays unchanged", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle });
    const a = pool.alloc()!;
    expect(() => pool.dealloc(newParticle())).toThrow(/obj must be an object of this pool/);
    for (const bad of [null, undefined, 3, "x"]) expect(() => pool.dealloc(bad as never)).toThrow(RangeError);
    pool.dealloc(a);
    expect(() => pool.dealloc(a)).toThrow(/double free/);
    expect(pool.stats().live).toBe(0);
    expect(pool.check()).toEqual([]);
  });

  it("rejects an object of another pool, and keeps its slot property out of sight", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle });
    const other = new ObjectPool<Particle>({ create: newParticle });
    const mine = pool.alloc()!;
    const theirs = other.alloc()!;
    expect(() => pool.dealloc(theirs)).toThrow(/foreign/);
    expect(Object.keys(mine)).toEqual(["x", "y", "ttl", "target"]);
    expect(JSON.parse(JSON.stringify(mine))).toEqual({ x: 0, y: 0, ttl: 0, target: null });
    expect(Object.getOwnPropertySymbols({ ...mine })).toEqual([]);
    expect(() => new ObjectPool({ create: () => Object.freeze(newParticle()) }).alloc()).toThrow(
      /extensible/,
    );
    pool.dealloc(mine);
    other.dealloc(theirs);
    expect(pool.check()).toEqual([]);
  });

  it("returns null once maxObjects are live, and grows to exactly maxObjects", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle, slabObjects: 7, maxObjects: 20 });
    const all = Array.from({ length: 20 }, () => pool.alloc());
    expect(all.every((p) => p !== null)).toBe(true);
    expect(pool.alloc()).toBeNull();
    expect(pool.allocHandle()).toBe(0);
    pool.dealloc(all[5]!);
    expect(pool.alloc()).toBe(all[5]);
    expect(pool.stats()).toMatchObject({ objects: 20, slabs: 3 });
  });

  it("prewarms, and validates its options", () => {
    expect(new ObjectPool({ create: newParticle, initialObjects: 100 }).stats().objects).toBe(128);
    expect(() => new ObjectPool({ create: newParticle, slabObjects: 0 })).toThrow(/slabObjects/);
    expect(() => new ObjectPool({ create: newParticle, maxObjects: 2 ** 25 })).toThrow(/maxObjects/);
    expect(() => new ObjectPool({ create: newParticle, initialObjects: 1.5 })).toThrow(/initialObjects/);
    const same = newParticle();
    expect(() => new ObjectPool({ create: () => same, initialObjects: 2 }).alloc()).toThrow(/create/);
  });

  it("keeps consistent state when reset throws (the object stays live)", () => {
    const pool = new ObjectPool<Particle>({
      create: newParticle,
      reset: (p) => {
        if (p.ttl < 0) throw new Error("bad particle");
      },
    });
    const p = pool.alloc()!;
    p.ttl = -1;
    expect(() => pool.dealloc(p)).toThrow("bad particle");
    expect(pool.stats().live).toBe(1);
    p.ttl = 0;
    pool.dealloc(p);
    expect(pool.check()).toEqual([]);
  });
});

describe("ObjectPool handles", () => {
  it("resolve while live, and detect stale handles and double frees through generations", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle, maxObjects: 1024 });
    const h = pool.allocHandle();
    expect(h).toBeGreaterThan(0);
    expect(h).toBeLessThan(2 ** 30);
    const p = pool.get(h);
    expect(pool.handleOf(p)).toBe(h);
    expect(pool.isLive(h)).toBe(true);
    pool.deallocHandle(h);
    expect(pool.isLive(h)).toBe(false);
    expect(() => pool.get(h)).toThrow(/handle must be live/);
    expect(() => pool.deallocHandle(h)).toThrow(/handle must be live/);
    // The slot is reused: same object, new generation; the old handle stays stale.
    const h2 = pool.allocHandle();
    expect(pool.get(h2)).toBe(p);
    expect(h2).not.toBe(h);
    expect(() => pool.get(h)).toThrow(RangeError);
    expect(() => pool.dealloc(p)).not.toThrow();
    expect(() => pool.deallocHandle(h2)).toThrow(/stale/);
    for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN, 1023]) expect(pool.isLive(bad)).toBe(false);
    expect(pool.check()).toEqual([]);
  });

  it("detects a stale handle for every reuse short of a full generation cycle", () => {
    const pool = new ObjectPool<Particle>({ create: newParticle, maxObjects: 2 ** 20, slabObjects: 1 });
    const first = pool.allocHandle();
    pool.deallocHandle(first);
    // 10 bits of generation: the counter comes back to the same value after 512 alloc/free cycles.
    for (let cycle = 1; cycle < 512; cycle++) {
      const h = pool.allocHandle();
      expect(h).not.toBe(first);
      expect(pool.isLive(first)).toBe(false);
      pool.deallocHandle(h);
    }
  });
});
