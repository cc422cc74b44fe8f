import { MemoryViews } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { PageZeroer } from "../src/zeroing.js";
import { reusedRunsReadZero } from "./zeroing-checks.js";

describe("zeroing in Chromium", () => {
  it("picks the method by backing: wasm memory.fill, fill on unshared memory, copies on a SharedArrayBuffer", () => {
    expect(crossOriginIsolated).toBe(true);
    const shared = new SharedArrayBuffer(1 << 20, { maxByteLength: 2 << 20 });
    expect(new PageZeroer(new MemoryViews(shared)).method).toBe("copy");
    const local = new ArrayBuffer(1 << 20, { maxByteLength: 2 << 20 });
    expect(new PageZeroer(new MemoryViews(local)).method).toBe("fill");
    for (const sharedMemory of [true, false]) {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: sharedMemory });
      expect(new PageZeroer(new MemoryViews(memory), memory).method).toBe("wasm");
    }
  });

  it.each(["shared", "local", "wasm"] as const)("%s: reused pages and runs read zero", (backing) => {
    reusedRunsReadZero(backing);
  });
});
