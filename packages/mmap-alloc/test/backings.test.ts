import { describe, expect, it } from "vitest";
import { AddressSpace } from "../src/index.js";

const PAGE = 4096;
const MiB = 1 << 20;

/** Maps runs until the buffer has grown at least once; returns them. */
function growOnce(space: AddressSpace): number[] {
  const runs: number[] = [];
  const before = space.stats().growths;
  while (space.stats().growths === before) {
    const ptr = space.map(16 * PAGE);
    expect(ptr).not.toBe(0);
    runs.push(ptr);
  }
  return runs;
}

describe("backings", () => {
  it("shared (default): a growable SharedArrayBuffer that other handles attach to", () => {
    const space = AddressSpace.create({ maxBytes: 16 * MiB });
    expect(space.buffer).toBeInstanceOf(SharedArrayBuffer);
    const other = AddressSpace.attach(structuredClone(space.share()));
    expect(other.holder).not.toBe(space.holder);
    const runs = growOnce(other);
    const last = runs[runs.length - 1];
    other.u32[last / 4] = 77;
    expect(space.u32[last / 4]).toBe(77);
    space.unmap(last, 16 * PAGE);
    expect(other.runSize(last)).toBe(0);
    expect(space.check()).toEqual([]);
  });

  it("local: a resizable ArrayBuffer, which cannot be shared", () => {
    const space = AddressSpace.create({ maxBytes: 16 * MiB, backing: "local" });
    expect(space.buffer).toBeInstanceOf(ArrayBuffer);
    const runs = growOnce(space);
    expect(space.u8.length).toBe(space.stats().committedBytes);
    for (const ptr of runs) space.unmap(ptr, 16 * PAGE);
    expect(space.check()).toEqual([]);
    expect(() => space.share()).toThrow(TypeError);
  });

  it("wasm: a new shared WebAssembly.Memory, grown in 64 KiB pages", () => {
    const space = AddressSpace.create({ maxBytes: 16 * MiB, backing: "wasm" });
    const { memory } = space.share();
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    const runs = growOnce(space);
    const wasm = memory as WebAssembly.Memory;
    expect(wasm.buffer.byteLength % 65536).toBe(0);
    expect(space.u8.length).toBe(wasm.buffer.byteLength);
    const last = runs[runs.length - 1];
    space.u8[last] = 1;
    expect(new Uint8Array(wasm.buffer)[last]).toBe(1);
    expect(space.check()).toEqual([]);
  });

  it("an existing unshared WebAssembly.Memory: keeps below `base`, follows detaching growth", () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 512 });
    const moduleData = 70_000;
    new Uint8Array(memory.buffer).fill(0x55, 0, moduleData);
    const space = AddressSpace.create({ maxBytes: 32 * MiB, backing: memory, base: moduleData });
    const first = space.map(PAGE);
    expect(first).toBeGreaterThan(moduleData);
    const oldBuffer = memory.buffer;
    const runs = growOnce(space);
    expect(oldBuffer.byteLength).toBe(0); // detached by the growth
    expect(space.buffer).toBe(memory.buffer);
    const last = runs[runs.length - 1];
    space.u32[last / 4] = 9;
    expect(new Uint32Array(memory.buffer)[last / 4]).toBe(9);
    for (const ptr of runs) space.unmap(ptr, 16 * PAGE);
    expect(new Uint8Array(memory.buffer, 0, moduleData).every((b) => b === 0x55)).toBe(true);
    expect(space.check()).toEqual([]);
    expect(() => space.share()).toThrow(TypeError);
  });

  it("an existing SharedArrayBuffer: fixed ones never grow, and maxBytes must fit", () => {
    const fixed = new SharedArrayBuffer(2 * MiB);
    const space = AddressSpace.create({ maxBytes: 2 * MiB, backing: fixed });
    let count = 0;
    while (space.map(PAGE) !== 0) count++;
    expect(count).toBe((2 * MiB - space.stats().reservedBytes) / PAGE);
    expect(space.stats().growths).toBe(0);
    expect(space.check()).toEqual([]);
    expect(() => AddressSpace.create({ maxBytes: 4 * MiB, backing: fixed })).toThrow(/maxBytes/);
    const growable = new SharedArrayBuffer(MiB, { maxByteLength: 8 * MiB });
    const grows = AddressSpace.create({ maxBytes: 8 * MiB, backing: growable });
    growOnce(grows);
    expect(growable.byteLength).toBeGreaterThan(MiB);
  });

  it("page sizes above 4 KiB", () => {
    const space = AddressSpace.create({ maxBytes: 64 * MiB, pageSize: 65536 });
    const ptr = space.map(1);
    expect(ptr % 65536).toBe(0);
    expect(space.runSize(ptr)).toBe(65536);
    expect(space.check()).toEqual([]);
  });

  it("spans up to 4 GiB", () => {
    const space = AddressSpace.create({ maxBytes: 2 ** 32, pageSize: 65536 });
    const quarter = 2 ** 30;
    const runs = [space.map(quarter), space.map(quarter), space.map(quarter)];
    const rest = 2 ** 32 - 3 * quarter - space.stats().reservedBytes;
    const top = space.map(rest);
    expect(top + rest).toBe(2 ** 32);
    space.u8[2 ** 32 - 1] = 5;
    expect(space.u32[2 ** 30 - 1]).toBe(5 << 24);
    expect(space.map(65536)).toBe(0);
    expect(runs.every((ptr) => ptr > 0)).toBe(true);
    expect(space.stats().committedBytes).toBe(2 ** 32);
    expect(space.check()).toEqual([]);
  });

  it("attach refuses what is not an address space", () => {
    expect(() =>
      AddressSpace.attach({ kind: "mmap-alloc", memory: new SharedArrayBuffer(4096), metaBase: 0 }),
    ).toThrow(TypeError);
  });
});
