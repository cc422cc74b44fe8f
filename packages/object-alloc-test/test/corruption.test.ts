import { MemoryViews } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { NONCE, Rng, restamp, runOps, shrinkOps, stamp, stateOf } from "../src/index.js";
import { overlapping } from "./fixtures/broken.js";

const memory = () => new MemoryViews(new ArrayBuffer(256));

describe("the corruption tester object", () => {
  it("reads back the state it was stamped with", () => {
    const m = memory();
    stamp(m, 16, 40, NONCE.VALID, new Rng(1));
    expect(stateOf(m, 16, 40)).toBe("valid");
    restamp(m, 16, 40, NONCE.DROPPED);
    expect(stateOf(m, 16, 40)).toBe("dropped");
    restamp(m, 16, 40, NONCE.NEW);
    expect(stateOf(m, 16, 40)).toBe("new");
  });

  it("is invalid after one flipped payload byte", () => {
    const m = memory();
    stamp(m, 17, 33, NONCE.VALID, new Rng(2));
    m.u8[17 + 32] ^= 1;
    expect(stateOf(m, 17, 33)).toBe("invalid");
  });

  it("is invalid when copied or moved to another address (the hash covers the address)", () => {
    const m = memory();
    stamp(m, 8, 24, NONCE.VALID, new Rng(3));
    m.u8.copyWithin(64, 8, 32);
    expect(stateOf(m, 64, 24)).toBe("invalid");
    expect(stateOf(m, 8, 24)).toBe("valid");
  });

  it("is invalid when zeroed, or too small for a header", () => {
    const m = memory();
    expect(stateOf(m, 0, 16)).toBe("invalid");
    expect(stateOf(m, 0, 7)).toBe("invalid");
  });
});

describe("seeded randomness", () => {
  it("replays the same sequence from the same seed", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const draws = Array.from({ length: 5 }, () => a.u32());
    expect(draws).toEqual(Array.from({ length: 5 }, () => b.u32()));
    expect(new Set(draws).size).toBe(5);
  });
});

describe("shrinking", () => {
  it("cuts a failing sequence down to the operations that still fail", () => {
    const ops = [
      { op: "alloc", size: 8, align: 8 },
      { op: "alloc", size: 100, align: 8 },
      { op: "free", index: 0 },
      { op: "alloc", size: 64, align: 8 },
      { op: "alloc", size: 4, align: 4 },
    ] as const;
    const { violation } = runOps(overlapping.create(), ops);
    expect(violation?.kind).toBe("overlap");
    const shrunk = shrinkOps(() => overlapping.create(), ops, violation!, 1);
    // The first 8-byte block is 8 bytes short: the next block starts inside it.
    expect(shrunk.ops).toEqual([
      { op: "alloc", size: 8, align: 8 },
      { op: "alloc", size: 4, align: 4 },
    ]);
    expect(shrunk.violation.log).toEqual(["alloc(8,8)->p0", "alloc(4,4)->p1"]);
    expect(shrunk.violation.message).toBe("alloc(4,4)->p1 [68, 72) overlaps p0 [64, 72)");
  });
});
