import { describe, expect, it } from "vitest";
import {
  claimLowestClearBit,
  highestBit,
  lowestBit,
  nextPowerOfTwo,
  popcount,
  takeLowestBit,
} from "../src/index.js";

/** Reference answers by looping over the 32 bits one at a time. */
function bitsOf(word: number): number[] {
  const set: number[] = [];
  for (let b = 0; b < 32; b++) if ((word >>> b) & 1) set.push(b);
  return set;
}

const WORDS = [
  0, 1, 2, 3, 0x80000000, -0x80000000, 0xffffffff, -1, 0x7fffffff, 0x55555555, 0xaaaaaaaa, 0x00f000f0,
];

describe("bits", () => {
  it("counts, finds the lowest and the highest set bit as a loop over the bits does", () => {
    for (let k = 0; k < 2000; k++) WORDS.push((Math.random() * 2 ** 32) >>> 0);
    for (const word of WORDS) {
      const set = bitsOf(word);
      expect(popcount(word), `popcount(${word})`).toBe(set.length);
      expect(lowestBit(word), `lowestBit(${word})`).toBe(set.length ? set[0] : -1);
      expect(highestBit(word), `highestBit(${word})`).toBe(set.length ? set[set.length - 1] : -1);
    }
  });

  it("rounds up to a power of two, exactly up to 2^32", () => {
    const cases: [number, number][] = [
      [Number.NaN, 1],
      [-5, 1],
      [0, 1],
      [1, 1],
      [1.5, 2],
      [2, 2],
      [2.5, 4],
      [3, 4],
      [1000, 1024],
      [2 ** 31 - 1, 2 ** 31],
      [2 ** 31, 2 ** 31],
      [2 ** 31 + 1, 2 ** 32],
      [2 ** 32 - 1, 2 ** 32],
      [2 ** 32, 2 ** 32],
      [2 ** 32 + 1, 2 ** 33],
    ];
    for (const [n, expected] of cases) expect(nextPowerOfTwo(n), `nextPowerOfTwo(${n})`).toBe(expected);
    for (let e = 0; e <= 32; e++) {
      expect(nextPowerOfTwo(2 ** e)).toBe(2 ** e);
      if (e >= 1) expect(nextPowerOfTwo(2 ** e - 0.5)).toBe(2 ** e);
    }
  });

  it("takes set bits lowest first, each once, and says -1 when none is left", () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    i32[1] = 0x80000005 | 0;
    expect([takeLowestBit(i32, 1), takeLowestBit(i32, 1), takeLowestBit(i32, 1)]).toEqual([0, 2, 31]);
    expect(i32[1]).toBe(0);
    expect(takeLowestBit(i32, 1)).toBe(-1);
    expect(i32[0]).toBe(0);
  });

  it("claims clear bits lowest first, each once, and says -1 when the word is full", () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    i32[0] = 0x7ffffffa;
    expect([claimLowestClearBit(i32, 0), claimLowestClearBit(i32, 0), claimLowestClearBit(i32, 0)]).toEqual([
      0, 2, 31,
    ]);
    expect(i32[0]).toBe(-1);
    expect(claimLowestClearBit(i32, 0)).toBe(-1);
    expect(i32[1]).toBe(0);
  });
});
