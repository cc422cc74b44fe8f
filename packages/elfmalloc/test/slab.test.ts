import { describe, expect, it } from "vitest";
import { classOf, SIZE_CLASSES } from "../src/size-classes.js";
import { freeBitsIndex, freeBlocks, initSlab, rcIndex, settled, takeWord } from "../src/slab.js";

const c = SIZE_CLASSES[classOf(64)];

/** A slab of class 64 B at offset 0 of its own buffer, claimed by slot 0, with every block taken out. */
function emptiedSlab(): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(c.slabBytes));
  initSlab(i32, 0, c, 0);
  for (let w = 0; w < c.words; w++) takeWord(i32, 0, c, w);
  Atomics.and(i32, rcIndex(0, c.slabBytes), ~(1 << 30));
  return i32;
}

describe("a slab whose count says empty", () => {
  it("is settled once every block's free bit is set", () => {
    const i32 = emptiedSlab();
    for (let w = 0; w < c.words; w++) {
      const n = Math.min(32, c.objects - w * 32);
      freeBlocks(i32, 0, c, w, n === 32 ? -1 : (1 << n) - 1, n);
    }
    expect(settled(i32, 0, c)).toBe(true);
  });

  it("is not, while a free has added to the count and not yet set its bits (it stays out of use)", () => {
    const i32 = emptiedSlab();
    // Every free but one finished; the last one counted its block and has not set its bit yet.
    Atomics.add(i32, rcIndex(0, c.slabBytes), c.objects);
    const bits = freeBitsIndex(0, c);
    for (let w = 0; w < c.words; w++) Atomics.store(i32, bits + w, -1);
    Atomics.and(i32, bits + c.words - 1, ~(1 << ((c.objects - 1) & 31)));
    expect(settled(i32, 0, c)).toBe(false);
  });
});
