import { AddressSpace } from "@allocators/mmap-alloc";
import { describe, expect, it } from "vitest";
import { SlabAlloc, struct } from "../src/index.js";

describe("struct", () => {
  it("lays fields out as C does", () => {
    const T = struct({ id: "u32", x: "f64", y: "f64", hp: "u16", flag: "i8" });
    expect(T.offsets).toEqual({ id: 0, x: 8, y: 16, hp: 24, flag: 26 });
    expect(T.layout.size).toBe(32);
    expect(T.layout.align).toBe(8);
    expect(struct({ a: "u8", b: "u8", c: "u8" }).layout.size).toBe(3);
    expect(() => struct({ a: "u64" as "u32" })).toThrow(/fields.a/);
  });

  it("reads and writes every field type at every object of a slab, with each type's range", () => {
    const space = AddressSpace.create({ maxBytes: 1 << 22, backing: "local" });
    const T = struct({ a: "u8", b: "i8", c: "u16", d: "i16", e: "u32", f: "i32", g: "f32", h: "f64" });
    const slab = new SlabAlloc(space, { size: T.layout.size, align: T.layout.align });
    const f = T.bind(space);
    const ptrs = Array.from({ length: 300 }, () => slab.alloc());
    ptrs.forEach((p, i) => {
      f.a.set(p, 255 - (i & 255));
      f.b.set(p, -128);
      f.c.set(p, 65535 - i);
      f.d.set(p, -(i + 1));
      f.e.set(p, 4_000_000_000 + i);
      f.f.set(p, -2_000_000_000 - i);
      f.g.set(p, 1.5);
      f.h.set(p, i / 3);
    });
    ptrs.forEach((p, i) => {
      expect([f.a.get(p), f.b.get(p), f.c.get(p), f.d.get(p)]).toEqual([
        255 - (i & 255),
        -128,
        65535 - i,
        -(i + 1),
      ]);
      expect([f.e.get(p), f.f.get(p), f.g.get(p), f.h.get(p)]).toEqual([
        4_000_000_000 + i,
        -2_000_000_000 - i,
        1.5,
        i / 3,
      ]);
      expect(space.view.getFloat64(p + T.offsets.h, true)).toBe(i / 3);
    });
  });

  it("follows the buffer as the address space grows", () => {
    const space = AddressSpace.create({ maxBytes: 1 << 24, initialBytes: 1 << 16, backing: "shared" });
    const T = struct({ v: "f64" });
    const { v } = T.bind(space);
    const slab = new SlabAlloc(space, { size: 8 });
    const ptrs: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const p = slab.alloc();
      v.set(p, i);
      ptrs.push(p);
    }
    expect(space.buffer.byteLength).toBeGreaterThan(1 << 16);
    expect(ptrs.every((p, i) => v.get(p) === i)).toBe(true);
    expect(() => v.get(1 << 24)).toThrow(/beyond the buffer/);
  });
});
