import { describe, expect, it } from "vitest";
import { alignDown, alignUp, assertPtr, isPowerOfTwo, Layout, MAX_ALIGN, MAX_SIZE } from "../src/index.js";

describe("Layout.from", () => {
  it("keeps size and alignment", () => {
    const layout = Layout.from(24, 8);
    expect(layout.size).toBe(24);
    expect(layout.align).toBe(8);
    expect(Layout.from(3).align).toBe(1);
    expect(Layout.from(0, 16).size).toBe(0);
    expect(Layout.from(MAX_SIZE).size).toBe(MAX_SIZE);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_SIZE + 1, 2 ** 53])(
    "rejects size %s naming it",
    (size) => {
      expect(() => Layout.from(size)).toThrow(RangeError);
      expect(() => Layout.from(size)).toThrow(/^size must be/);
    },
  );

  it("rejects a non-number size", () => {
    expect(() => Layout.from("8" as unknown as number)).toThrow(/size must be .*got "8"/);
  });

  it.each([0, 3, 6, -4, 0.5, Number.NaN, 2 ** 32])("rejects align %s naming it", (align) => {
    expect(() => Layout.from(8, align)).toThrow(RangeError);
    expect(() => Layout.from(8, align)).toThrow(/^align must be a power of two/);
  });

  it("pads the largest size to any alignment without leaving the address space", () => {
    expect(Layout.from(MAX_SIZE - 1, MAX_ALIGN).stride).toBe(MAX_SIZE);
  });
});

describe("Layout helpers", () => {
  it("pads to alignment", () => {
    expect(Layout.from(13, 8).padToAlign().size).toBe(16);
    expect(Layout.from(16, 8).padToAlign().size).toBe(16);
    expect(Layout.from(13, 8).stride).toBe(16);
    expect(Layout.from(13, 1).paddingNeededFor(8)).toBe(3);
    expect(Layout.from(0, 1).paddingNeededFor(8)).toBe(0);
  });

  it("raises alignment with alignTo", () => {
    expect(Layout.from(8, 4).alignTo(16).align).toBe(16);
    expect(Layout.from(8, 32).alignTo(16).align).toBe(32);
    expect(() => Layout.from(8).alignTo(12)).toThrow(/align/);
  });

  it("builds arrays of padded elements", () => {
    const array = Layout.from(12, 8).array(10);
    expect(array.size).toBe(160);
    expect(array.align).toBe(8);
    expect(Layout.from(7).array(0).size).toBe(0);
    expect(() => Layout.from(8).array(-1)).toThrow(/^count must be/);
    expect(() => Layout.from(8).array(1.5)).toThrow(/^count must be/);
    expect(() => Layout.from(2 ** 20).array(2 ** 13)).toThrow(/count \* stride/);
  });

  it("extends like a C struct", () => {
    // struct { u8 tag; f64 value; u16 id; }
    const tag = Layout.from(1, 1);
    const value = tag.extend(Layout.from(8, 8));
    expect(value.offset).toBe(8);
    const id = value.layout.extend(Layout.from(2, 2));
    expect(id.offset).toBe(16);
    expect(id.layout.size).toBe(18);
    expect(id.layout.align).toBe(8);
    expect(id.layout.padToAlign().size).toBe(24);
  });

  it("compares and prints", () => {
    expect(Layout.from(8, 8).equals(Layout.from(8, 8))).toBe(true);
    expect(Layout.from(8, 8).equals(Layout.from(8, 4))).toBe(false);
    expect(String(Layout.from(8, 4))).toBe("Layout(size 8, align 4)");
  });
});

describe("alignment arithmetic", () => {
  it("recognises powers of two up to 2^31", () => {
    for (let k = 0; k <= 31; k++) expect(isPowerOfTwo(2 ** k)).toBe(true);
    expect(isPowerOfTwo(MAX_ALIGN * 2)).toBe(false);
    expect(isPowerOfTwo(0)).toBe(false);
    expect(isPowerOfTwo(12)).toBe(false);
    expect(isPowerOfTwo(2 ** 31 - 1)).toBe(false);
  });

  it("rounds beyond int32 range", () => {
    expect(alignUp(2 ** 31 + 1, 2 ** 31)).toBe(2 ** 32);
    expect(alignUp(17, 16)).toBe(32);
    expect(alignUp(32, 16)).toBe(32);
    expect(alignDown(2 ** 32 - 1, 4096)).toBe(2 ** 32 - 4096);
  });

  it("validates pointers", () => {
    expect(() => assertPtr(0)).not.toThrow();
    expect(() => assertPtr(MAX_SIZE - 1)).not.toThrow();
    for (const bad of [-8, 1.5, Number.NaN, MAX_SIZE]) expect(() => assertPtr(bad)).toThrow(/^ptr must be/);
  });
});
