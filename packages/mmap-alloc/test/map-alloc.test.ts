import { Layout } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { AddressSpace, MapAlloc } from "../src/index.js";

const PAGE = 4096;
const MiB = 1 << 20;

describe("MapAlloc", () => {
  it("implements Alloc: zeroed page runs, usable size, realloc in place or moved, dealloc", () => {
    const heap = new MapAlloc(AddressSpace.create({ maxBytes: 16 * MiB }));
    const p = heap.alloc(100_000);
    expect(p % PAGE).toBe(0);
    expect(heap.usableSize(p)).toBe(25 * PAGE);
    expect(heap.memory.u8[p + 99_999]).toBe(0);
    heap.memory.u8[p] = 3;
    const zero = heap.alloc(0);
    expect(zero).not.toBe(0);
    expect(heap.usableSize(zero)).toBe(PAGE);
    const q = heap.realloc(p, 200_000);
    expect(q).not.toBe(p); // `zero` sits right after p
    expect(heap.memory.u8[q]).toBe(3);
    expect(heap.usableSize(q)).toBe(49 * PAGE);
    expect(heap.realloc(q, 10)).toBe(q);
    expect(heap.usableSize(q)).toBe(PAGE);
    const aligned = heap.allocZeroed(10, 2 * MiB);
    expect(aligned % (2 * MiB)).toBe(0);
    heap.dealloc(q);
    heap.dealloc(zero);
    heap.dealloc(aligned);
    heap.dealloc(0);
    expect(heap.space.stats().mappedBytes).toBe(0);
    expect(heap.space.check()).toEqual([]);
  });

  it("implements UntypedObjectAlloc with its layout, large alignments included", () => {
    const heap = new MapAlloc(AddressSpace.create({ maxBytes: 16 * MiB }), {
      objSize: 3 * PAGE,
      objAlign: MiB,
    });
    expect(heap.layout.equals(Layout.from(3 * PAGE, MiB))).toBe(true);
    const a = heap.alloc();
    const b = heap.alloc();
    expect(a % MiB).toBe(0);
    expect(b % MiB).toBe(0);
    expect(heap.usableSize(a)).toBe(3 * PAGE);
    heap.dealloc(a);
    heap.dealloc(b);
    expect(heap.space.check()).toEqual([]);
  });

  it("owns its blocks only, and rejects foreign pointers", () => {
    const space = AddressSpace.create({ maxBytes: 16 * MiB });
    const heap = new MapAlloc(space);
    const mine = heap.alloc(10);
    const theirs = space.map(PAGE);
    expect(heap.owns(mine)).toBe(true);
    expect(heap.owns(theirs)).toBe(false);
    expect(heap.owns(mine + 8)).toBe(false);
    expect(heap.owns(0)).toBe(false);
    expect(() => heap.dealloc(theirs)).toThrow(RangeError);
    expect(() => heap.usableSize(mine + PAGE)).toThrow(/not a live block/);
    expect(() => heap.alloc(-1)).toThrow(/size/);
    expect(() => heap.alloc(8, 3)).toThrow(/align/);
    expect(() => new MapAlloc(space, { objSize: 0 })).toThrow(/objSize/);
    heap.dealloc(mine);
    expect(() => heap.dealloc(mine)).toThrow(RangeError);
    expect(heap.alloc(64 * MiB)).toBe(0);
    expect(space.check()).toEqual([]);
  });
});
