import { describe, expect, it } from "vitest";
import { chooseGeometry, geometryFor, objectIndex, splitStride } from "../src/geometry.js";
import { PageMap } from "../src/page-map.js";
import { RUST_SIZES, random } from "./helpers.js";

describe("stride division without dividing", () => {
  it("maps exactly the multiples of the stride to their index", () => {
    for (const stride of [1, 3, 7, 12, 24, 29, 96, 113, 1277, 4096, 7151, 8192]) {
      const g = geometryFor("large", 16 * 8192, stride, 1, true)!;
      const span = g.objectsPerSlab * stride;
      const wrong: number[] = [];
      for (let off = -3; off < Math.min(span + 3, 20_000); off++) {
        const expected = off >= 0 && off < span && off % stride === 0 ? off / stride : -1;
        if (objectIndex(g, off) !== expected) wrong.push(off);
      }
      expect(wrong).toEqual([]);
    }
  });

  it("splits a stride into an odd factor and a shift", () => {
    for (const stride of RUST_SIZES) {
      const { shift, inverse } = splitStride(stride);
      const odd = stride / 2 ** shift;
      expect(odd % 2).toBe(1);
      expect(Math.imul(odd, inverse) >>> 0).toBe(1);
    }
  });
});

describe("slab size choice", () => {
  it("fits header, stack, bitmap and objects in every slab it chooses", () => {
    for (const size of RUST_SIZES) {
      for (let align = 1; align <= 4096; align *= 2) {
        const stride = Math.ceil(size / align) * align;
        for (const kind of ["aligned", "large"] as const) {
          for (const checked of [true, false]) {
            const g = chooseGeometry(kind, stride, align, 4096, checked);
            expect(g.objectsPerSlab).toBeGreaterThanOrEqual(1);
            expect(g.firstObject % align).toBe(0);
            const colourEnd = g.firstObject + (g.colours - 1) * g.colourStep + g.objectsPerSlab * stride;
            expect(colourEnd).toBeLessThanOrEqual(g.slabBytes);
            if (kind === "aligned") {
              expect(g.firstObject).toBeGreaterThanOrEqual(g.headerBytes);
              expect(g.slabBytes & (g.slabBytes - 1)).toBe(0);
            } else {
              expect(g.slabBytes % 4096).toBe(0);
            }
          }
        }
      }
    }
  });

  it("prefers at least 8 objects with little waste, and colours the slack", () => {
    const g = chooseGeometry("aligned", 64, 8, 4096, true);
    expect(g.slabBytes).toBe(4096);
    expect(g.objectsPerSlab).toBe(61); // 32 B header, 61 u16 entries, 8 B bitmap, 61 x 64 B: 4072 B
    expect(g.colours).toBe(Math.floor(g.unusedBytes / 64) + 1);
    const large = chooseGeometry("large", 3000, 8, 4096, true);
    expect(large.objectsPerSlab).toBeGreaterThanOrEqual(8);
    expect(large.unusedBytes).toBeLessThanOrEqual(large.slabBytes / 8);
  });

  it("rejects a slab that cannot hold one object", () => {
    expect(geometryFor("aligned", 4096, 4096, 4096, true)).toBeNull();
    expect(geometryFor("large", 4096, 4097, 1, true)).toBeNull();
  });
});

describe("PageMap", () => {
  it("agrees with a Map through random inserts and deletes, with growth and shrinking", () => {
    const map = new PageMap();
    const reference = new Map<number, number>();
    const next = random(7);
    for (let i = 0; i < 40_000; i++) {
      const page = Math.floor(next() * 3000) * (next() < 0.5 ? 1 : 997);
      if (next() < 0.55) {
        map.set(page, i + 1);
        reference.set(page, i + 1);
      } else {
        map.delete(page);
        reference.delete(page);
      }
      if (i % 997 === 0) for (const [k, v] of reference) expect(map.get(k)).toBe(v);
    }
    expect(map.size).toBe(reference.size);
    for (const [k, v] of reference) expect(map.get(k)).toBe(v);
    for (const k of [...reference.keys()]) map.delete(k);
    expect(map.size).toBe(0);
    expect(map.get(5)).toBe(0);
  });
});
