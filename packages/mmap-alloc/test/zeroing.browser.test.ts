import { describe, expect, it } from "vitest";
import { AddressSpace } from "../src/index.js";
import { PageZeroer } from "../src/zeroing.js";

const PAGE = 4096;

describe("zeroing in Chromium", () => {
  it("picks the method by backing: wasm memory.fill, fill on unshared memory, copies on a SharedArrayBuffer", () => {
    expect(crossOriginIsolated).toBe(true);
    const shared = new SharedArrayBuffer(1 << 20, { maxByteLength: 2 << 20 });
    expect(new PageZeroer({ buffer: shared }).method).toBe("copy");
    const local = new ArrayBuffer(1 << 20, { maxByteLength: 2 << 20 });
    expect(new PageZeroer({ buffer: local }).method).toBe("fill");
    for (const sharedMemory of [true, false]) {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: sharedMemory });
      expect(new PageZeroer(memory, memory).method).toBe("wasm");
    }
  });

  it.each(["shared", "local", "wasm"] as const)("%s: reused pages and runs read zero", (backing) => {
    const space = AddressSpace.create({ maxBytes: 16 << 20, backing });
    const page = space.map(PAGE);
    const run = space.map(20 * PAGE);
    space.u8.fill(0xee, page, page + PAGE);
    space.u8.fill(0xee, run, run + 20 * PAGE);
    space.unmap(page, PAGE);
    space.unmap(run, 20 * PAGE);
    expect(space.check()).toEqual([]);
    expect([space.map(PAGE), space.map(20 * PAGE)]).toEqual([page, run]);
    expect(space.u8.subarray(page, page + PAGE).every((b) => b === 0)).toBe(true);
    expect(space.u8.subarray(run, run + 20 * PAGE).every((b) => b === 0)).toBe(true);
  });
});
