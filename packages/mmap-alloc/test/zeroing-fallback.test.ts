import { MemoryViews } from "@allocators/object-alloc";
import { afterEach, describe, expect, it } from "vitest";
import { AddressSpace } from "../src/index.js";
import { PageZeroer } from "../src/zeroing.js";
import { PAGE, zeroesExactly } from "./zeroing-checks.js";

// A file of its own: the zeroing module compiles its wasm once per process and keeps the answer, so the
// refusal must come before any other test compiles it.

describe("without WebAssembly compilation (e.g. a Content-Security-Policy)", () => {
  const compile = WebAssembly.Module;
  afterEach(() => {
    WebAssembly.Module = compile;
  });

  it("falls back to JavaScript zeroing on a WebAssembly.Memory", () => {
    WebAssembly.Module = function refused(): never {
      throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
    } as unknown as typeof WebAssembly.Module;
    const shared = new WebAssembly.Memory({ initial: 4, maximum: 64, shared: true });
    const sharedZeroer = new PageZeroer(new MemoryViews(shared), shared);
    expect(sharedZeroer.method).toBe("copy");
    zeroesExactly(sharedZeroer, shared, PAGE, 2 * PAGE);
    const unshared = new WebAssembly.Memory({ initial: 4, maximum: 64 });
    const unsharedZeroer = new PageZeroer(new MemoryViews(unshared), unshared);
    expect(unsharedZeroer.method).toBe("fill");
    zeroesExactly(unsharedZeroer, unshared, PAGE, 2 * PAGE);
    unshared.grow(1); // detaches the buffer its view was on
    zeroesExactly(unsharedZeroer, unshared, 4 * 65536, PAGE);
    const space = AddressSpace.create({ maxBytes: 16 << 20, backing: "wasm" });
    const ptr = space.map(PAGE);
    space.u8.fill(1, ptr, ptr + PAGE);
    space.unmap(ptr, PAGE);
    expect(space.check()).toEqual([]);
  });
});
