import { runWebWorker } from "@allocators/test-kit/browser";
import { describe, expect, it } from "vitest";
import { ArenaAlloc, MemoryViews } from "../src/index.js";

// Runs in headless Chromium (the browser project), on a page served with COOP/COEP.

describe("the page", () => {
  it("is cross-origin isolated, so SharedArrayBuffer and shared WebAssembly.Memory exist", () => {
    expect(crossOriginIsolated).toBe(true);
    expect(new SharedArrayBuffer(8).byteLength).toBe(8);
    expect(new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }).buffer).toBeInstanceOf(
      SharedArrayBuffer,
    );
  });

  it("cannot block its main thread: Atomics.wait throws, Atomics.waitAsync works", async () => {
    const i32 = new Int32Array(new SharedArrayBuffer(4));
    expect(() => Atomics.wait(i32, 0, 0, 1)).toThrow(TypeError);
    const waiting = Atomics.waitAsync(i32, 0, 0);
    expect(waiting.async).toBe(true);
    Atomics.store(i32, 0, 1);
    Atomics.notify(i32, 0);
    await expect(waiting.value).resolves.toBe("ok");
  });
});

describe("MemoryViews in the browser", () => {
  it("follows a growable SharedArrayBuffer grown by a Web Worker", async () => {
    const buffer = new SharedArrayBuffer(65536, { maxByteLength: 4 * 65536 });
    const memory = new MemoryViews(buffer);
    expect(memory.u32.length).toBe(16384);
    const answer = await runWebWorker<{ byteLength: number }>(
      new URL("./workers/grow-worker.ts", import.meta.url),
      { buffer, marker: 0x5eed },
    );
    expect(answer.byteLength).toBe(2 * 65536);
    expect(memory.u8.byteLength).toBe(2 * 65536);
    expect(Atomics.load(memory.i32, memory.i32.length - 1)).toBe(0x5eed);
    expect(memory.view.getUint32(2 * 65536 - 4, true)).toBe(0x5eed);
  });

  it("follows a shared WebAssembly.Memory grown by a Web Worker", async () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 8, shared: true });
    const memory = new MemoryViews(wasm);
    expect(memory.u8.length).toBe(65536);
    const answer = await runWebWorker<{ byteLength: number }>(
      new URL("./workers/grow-worker.ts", import.meta.url),
      { memory: wasm, marker: 0xbeef },
    );
    expect(answer.byteLength).toBe(3 * 65536);
    // This thread's `wasm.buffer` is a new SharedArrayBuffer of the grown length: the views rebuild on it.
    expect(memory.buffer).toBe(wasm.buffer);
    expect(memory.f64.length).toBe((3 * 65536) / 8);
    expect(memory.u32[memory.u32.length - 1]).toBe(0xbeef);
  });
});

describe("ArenaAlloc in the browser", () => {
  it("gives two Web Workers disjoint arenas of one shared WebAssembly.Memory, awaited without blocking", async () => {
    const wasm = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    const memory = new MemoryViews(wasm);
    const flags = [0, 4];
    const arenas = [
      { start: 64, end: 65536, fill: 0xa1 },
      { start: 65536, end: 2 * 65536, fill: 0xb2 },
    ];
    const raised = flags.map((flag) => Atomics.waitAsync(memory.i32, flag >> 2, 0).value);
    const answers = await Promise.all(
      arenas.map((arena, i) =>
        runWebWorker<{ ptr: number; size: number; align: number }[]>(
          new URL("./workers/arena-web-worker.ts", import.meta.url),
          { memory: wasm, ...arena, count: 300, flag: flags[i] },
        ),
      ),
    );
    await expect(Promise.all(raised)).resolves.toEqual(["ok", "ok"]);
    answers.forEach((blocks, i) => {
      const { start, end, fill } = arenas[i];
      expect(blocks).toHaveLength(300);
      for (const { ptr, size, align } of blocks) {
        expect(ptr % Math.max(align, 4)).toBe(0);
        expect(ptr).toBeGreaterThanOrEqual(start);
        expect(ptr + size).toBeLessThanOrEqual(end);
        expect(memory.u8.subarray(ptr, ptr + size).every((byte) => byte === fill)).toBe(true);
      }
    });
    // The main thread allocates in the same memory too, with the non-blocking API the arena has anyway.
    const main = new ArenaAlloc(memory, 8, 64);
    expect(main.alloc(40, 8)).toBe(16);
    expect(main.alloc(40, 8)).toBe(0);
  });
});
