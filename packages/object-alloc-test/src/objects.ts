/**
 * The checks of an allocator of JavaScript objects ({@link ObjectAlloc}): the constructed-object caching
 * contract. Test objects carry the corruption tester's state nonce and a hash of their id, nonce and payload.
 *
 * @module
 */
import type { ObjectAlloc } from "@allocators/object-alloc";
import fc from "fast-check";
import { fail, runCheck } from "./checks.js";
import { NONCE } from "./corruption.js";
import { finish, mix, Rng } from "./random.js";
import type { CheckResult } from "./report.js";
import { Violation } from "./session.js";

/** A test object: what `construct` builds and the check mutates while it owns it. */
export interface TestObject {
  state: number;
  readonly id: number;
  payload: [number, number, number];
  hash: number;
}

function hashOf(o: TestObject): number {
  return finish(mix(mix(mix(mix(mix(0, o.id), o.state), o.payload[0]), o.payload[1]), o.payload[2]), 20);
}

/** One object op: `free` picks a live object modulo their number. */
type ObjectOp = { op: "alloc" } | { op: "free"; index: number };

/** A run on one object allocator, tracking live objects and what each held when it was given back. */
class ObjectSession {
  readonly log: string[] = [];
  readonly live: TestObject[] = [];
  readonly #names = new WeakMap<TestObject, string>();
  readonly #built = new WeakSet<TestObject>();
  readonly #returned = new WeakMap<TestObject, number>();
  readonly #rng: Rng;
  readonly pool: ObjectAlloc<TestObject>;
  #named = 0;
  constructed = 0;
  allocs = 0;
  peakLive = 0;

  constructor(create: (construct: () => TestObject) => ObjectAlloc<TestObject>, seed: number) {
    this.#rng = new Rng(seed);
    this.pool = create(() => this.#construct());
  }

  #construct(): TestObject {
    const o: TestObject = {
      state: NONCE.NEW,
      id: ++this.constructed,
      payload: [this.#rng.u32(), this.#rng.u32(), this.#rng.u32()],
      hash: 0,
    };
    o.hash = hashOf(o);
    this.#built.add(o);
    return o;
  }

  run(op: ObjectOp): void {
    if (op.op === "alloc") this.alloc();
    else if (this.live.length > 0) this.free(this.live[op.index % this.live.length]);
  }

  alloc(): void {
    const o = this.pool.alloc();
    if (o === null) {
      this.log.push("alloc()->null");
      return;
    }
    const name = this.#names.get(o) ?? `o${this.#named++}`;
    this.#names.set(o, name);
    this.log.push(`alloc()->${name}`);
    if (this.live.includes(o)) throw this.#violation("double-hand-out", `alloc()->${name} is live`);
    const before = this.#returned.get(o);
    if (before !== undefined) {
      if (hashOf(o) !== before || o.hash !== before) {
        throw this.#violation(
          "object-cache",
          `alloc()->${name}: a cached object came back changed since its dealloc`,
        );
      }
    } else if (!this.#built.has(o)) {
      throw this.#violation("object-cache", `alloc()->${name}: an object the constructor never built`);
    } else if (o.state !== NONCE.NEW || o.hash !== hashOf(o)) {
      throw this.#violation("object-cache", `alloc()->${name}: a fresh object not in its constructed state`);
    }
    this.allocs++;
    o.state = NONCE.VALID;
    o.payload = [this.#rng.u32(), this.#rng.u32(), this.#rng.u32()];
    o.hash = hashOf(o);
    this.live.push(o);
    this.peakLive = Math.max(this.peakLive, this.live.length);
  }

  free(o: TestObject): void {
    const name = this.#names.get(o);
    this.log.push(`free(${name})`);
    if (o.state !== NONCE.VALID || o.hash !== hashOf(o))
      throw this.#violation("corrupted", `free(${name}): changed while live`);
    this.live.splice(this.live.indexOf(o), 1);
    this.#returned.set(o, o.hash);
    this.pool.dealloc(o);
  }

  #violation(kind: Violation["kind"], message: string): Violation {
    return new Violation(kind, message, [...this.log]);
  }
}

function runObjectOps(
  create: (construct: () => TestObject) => ObjectAlloc<TestObject>,
  ops: readonly ObjectOp[],
  seed: number,
): { session: ObjectSession; violation?: Violation } {
  const session = new ObjectSession(create, seed);
  try {
    for (const op of ops) session.run(op);
    while (session.live.length > 0) session.free(session.live[session.live.length - 1]);
    return { session };
  } catch (error) {
    if (error instanceof Violation) return { session, violation: error };
    throw error;
  }
}

function randomObjectOps(rng: Rng, count: number): ObjectOp[] {
  return Array.from({ length: count }, () =>
    rng.chance(0.5) ? { op: "alloc" } : { op: "free", index: rng.u32() },
  );
}

/** The checks of an object allocator: a seeded random run, fast-check runs, and the caching contract. */
export function objectChecks(
  create: (construct: () => TestObject) => ObjectAlloc<TestObject>,
  options: { seed: number; ops: number; propertyRuns: number },
): CheckResult[] {
  const { seed } = options;
  const corruption = runCheck("corruption", seed, () => {
    const { session, violation } = runObjectOps(create, randomObjectOps(new Rng(seed), options.ops), seed);
    if (violation) throw new Violation(violation.kind, violation.message, violation.log.slice(-12));
    return `${options.ops} random ops: ${session.allocs} objects handed out, ${session.constructed} constructed`;
  });
  const property = runCheck("property", seed, () => {
    const op = fc.oneof(
      fc.constant<ObjectOp>({ op: "alloc" }),
      fc.nat(64).map((index): ObjectOp => ({ op: "free", index })),
    );
    const result = fc.check(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => !runObjectOps(create, ops, seed).violation),
      { seed: seed | 0, numRuns: options.propertyRuns },
    );
    if (result.failed && result.counterexample) {
      const { violation } = runObjectOps(create, result.counterexample[0], seed);
      if (violation) return fail("property", seed, violation);
    }
    return `${result.numRuns} fast-check sequences`;
  });
  const cache = runCheck("object-cache", seed, () => {
    const ops: ObjectOp[] = [
      ...Array.from({ length: 100 }, (): ObjectOp => ({ op: "alloc" })),
      ...Array.from({ length: 100 }, (_, i): ObjectOp => ({ op: "free", index: i * 7 })),
      ...Array.from({ length: 100 }, (): ObjectOp => ({ op: "alloc" })),
    ];
    const { session, violation } = runObjectOps(create, ops, seed);
    if (violation) throw violation;
    const reused = 200 - session.constructed;
    return `100 objects given back then 100 asked: ${reused} came from the cache in their dealloc state, ${session.constructed} constructed (peak ${session.peakLive} live)`;
  });
  return [corruption, property, cache];
}
