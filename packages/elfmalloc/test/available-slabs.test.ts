import { describe, expect, it } from "vitest";
import {
  availableSetBytes,
  forEachAvailable,
  initAvailableSet,
  offerSlab,
  revokeSlab,
  takeSlab,
  unmarkedWords,
} from "../src/available-slabs.js";
import { GRANULE } from "../src/page-map.js";

const MAX = 1 << 30;

function count(i32: Int32Array): number {
  let n = 0;
  forEachAvailable(i32, 0, () => n++);
  return n;
}

function newSet(): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(availableSetBytes(MAX)));
  initAvailableSet(i32, 0, MAX);
  return i32;
}

describe("the available-slab set", () => {
  it("hands out the lowest-addressed slab first, each once", () => {
    const i32 = newSet();
    const bases = [900, 3, 40_000, 41, 65_535].map((g) => g * GRANULE);
    for (const base of bases) offerSlab(i32, 0, base);
    expect(count(i32)).toBe(5);
    const taken = bases.map(() => takeSlab(i32, 0));
    expect(taken).toEqual([...bases].sort((a, b) => a - b));
    expect(takeSlab(i32, 0)).toBe(0);
    expect(count(i32)).toBe(0);
  });

  it("lets exactly one of a take and a revoke have each slab", () => {
    const i32 = newSet();
    offerSlab(i32, 0, 7 * GRANULE);
    offerSlab(i32, 0, 8 * GRANULE);
    expect(revokeSlab(i32, 0, 7 * GRANULE)).toBe(true);
    expect(revokeSlab(i32, 0, 7 * GRANULE)).toBe(false);
    expect(takeSlab(i32, 0)).toBe(8 * GRANULE);
    expect(revokeSlab(i32, 0, 8 * GRANULE)).toBe(false);
    expect(takeSlab(i32, 0)).toBe(0);
    expect(count(i32)).toBe(0);
  });

  it("finds a slab offered into a word whose summary bit a take cleared", () => {
    const i32 = newSet();
    offerSlab(i32, 0, 70 * GRANULE);
    expect(revokeSlab(i32, 0, 70 * GRANULE)).toBe(true);
    offerSlab(i32, 0, 5000 * GRANULE);
    // The take passes the emptied word (clearing its summary bit) on its way to the next one.
    expect(takeSlab(i32, 0)).toBe(5000 * GRANULE);
    offerSlab(i32, 0, 71 * GRANULE);
    const listed: number[] = [];
    forEachAvailable(i32, 0, (base) => listed.push(base));
    expect(listed).toEqual([71 * GRANULE]);
    expect(unmarkedWords(i32, 0)).toBe(0);
    expect(takeSlab(i32, 0)).toBe(71 * GRANULE);
  });

  it("holds every slab of the heap at once", () => {
    const i32 = newSet();
    const granules = MAX / GRANULE;
    for (let g = granules - 1; g >= 0; g--) offerSlab(i32, 0, g * GRANULE);
    expect(count(i32)).toBe(granules);
    let outOfOrder = 0;
    for (let g = 0; g < granules; g++) if (takeSlab(i32, 0) !== g * GRANULE) outOfOrder++;
    expect(outOfOrder).toBe(0);
    expect(takeSlab(i32, 0)).toBe(0);
  });
});
