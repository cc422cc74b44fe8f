import { describe, expect, it } from "vitest";
import { AddressSpace } from "../src/index.js";
import { PageZeroer } from "../src/zeroing.js";

const PAGE = 4096;

/** Fills the range and a page around it with 0xff, zeroes `[ptr, ptr + bytes)`, and checks exactly that range reads zero. */
function zeroesExactly(zeroer: PageZeroer, source: { buffer: ArrayBufferLike }, ptr: number, bytes: number) {
  new Uint8Array(source.buffer).fill(0xff, 0, ptr + bytes + PAGE);
  zeroer.zero(ptr, bytes);
  const u8 = new Uint8Array(source.buffer);
  expect(u8[ptr - 1]).toBe(0xff);
  expect(u8.subarray(ptr, ptr + bytes).every((b) => b === 0)).toBe(true);
  expect(u8[ptr + bytes]).toBe(0xff);
}

const kinds = [
  {
    name: "growable SharedArrayBuffer",
    method: "copy",
    make: () => new SharedArrayBuffer(1 << 20, { maxByteLength: 4 << 20 }),
  },
  {
    name: "resizable ArrayBuffer",
    method: "fill",
    make: () => new ArrayBuffer(1 << 20, { maxByteLength: 4 << 20 }),
  },
];

describe("PageZeroer", () => {
  it.each(kinds)("zeroes whole pages of a $name with $method", ({ method, make }) => {
    const buffer = make();
    const source = { buffer };
    const zeroer = new PageZeroer(source);
    expect(zeroer.method).toBe(method);
    zeroesExactly(zeroer, source, PAGE, PAGE);
    zeroesExactly(zeroer, source, 3 * PAGE, 20 * PAGE); // past the 64 KiB zero block
    buffer instanceof SharedArrayBuffer ? buffer.grow(2 << 20) : buffer.resize(2 << 20);
    zeroesExactly(zeroer, source, (1 << 20) + PAGE, 2 * PAGE); // beyond its first view
  });

  it.each([true, false])(
    "zeroes a WebAssembly.Memory (shared: %s) with wasm memory.fill, after growth too",
    (shared) => {
      const memory = new WebAssembly.Memory({ initial: 4, maximum: 64, shared });
      const zeroer = new PageZeroer(memory, memory);
      expect(zeroer.method).toBe("wasm");
      zeroesExactly(zeroer, memory, PAGE, PAGE);
      zeroesExactly(zeroer, memory, 2 * PAGE, 20 * PAGE);
      memory.grow(4); // detaches the old buffer when unshared
      zeroesExactly(zeroer, memory, 5 * 65536, 3 * PAGE);
    },
  );
});

describe("AddressSpace zeroing on every backing", () => {
  it.each(["shared", "local", "wasm"] as const)("%s: a reused page and a reused run read zero", (backing) => {
    const space = AddressSpace.create({ maxBytes: 16 << 20, backing });
    const page = space.map(PAGE);
    const run = space.map(20 * PAGE);
    space.u8.fill(0xee, page, page + PAGE);
    space.u8.fill(0xee, run, run + 20 * PAGE);
    space.unmap(page, PAGE);
    space.unmap(run, 20 * PAGE);
    expect(space.check()).toEqual([]);
    const again = space.map(PAGE);
    const runAgain = space.map(20 * PAGE);
    expect([again, runAgain]).toEqual([page, run]);
    expect(space.u8.subarray(page, page + PAGE).every((b) => b === 0)).toBe(true);
    expect(space.u8.subarray(run, run + 20 * PAGE).every((b) => b === 0)).toBe(true);
  });
});
