import { MemoryViews } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { PageZeroer } from "../src/zeroing.js";
import { PAGE, reusedRunsReadZero, zeroesExactly } from "./zeroing-checks.js";

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
    const zeroer = new PageZeroer(new MemoryViews(source));
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
      const zeroer = new PageZeroer(new MemoryViews(memory), memory);
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
    reusedRunsReadZero(backing);
  });
});
