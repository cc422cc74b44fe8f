import { describe, expect, it } from "vitest";
import { MemoryViews } from "../src/index.js";

describe("MemoryViews", () => {
  it("views a fixed ArrayBuffer, whole elements only", () => {
    const memory = new MemoryViews(new ArrayBuffer(20));
    expect(memory.u8.length).toBe(20);
    expect(memory.u32.length).toBe(5);
    expect(memory.f64.length).toBe(2);
    memory.f64[1] = 1.5;
    expect(memory.view.getFloat64(8, true)).toBe(1.5);
  });

  it("follows a growable SharedArrayBuffer, keeping views while it does not grow", () => {
    const sab = new SharedArrayBuffer(4096, { maxByteLength: 65536 });
    const memory = new MemoryViews(sab);
    const before = memory.u8;
    expect(memory.u8).toBe(before);
    sab.grow(8192);
    expect(memory.u8).not.toBe(before);
    expect(before.length).toBe(4096);
    expect(memory.u8.length).toBe(8192);
    expect(memory.i32.length).toBe(2048);
    expect(memory.view.byteLength).toBe(8192);
  });

  it("follows a resizable ArrayBuffer", () => {
    const buffer = new ArrayBuffer(4096, { maxByteLength: 65536 });
    const memory = new MemoryViews(buffer);
    buffer.resize(16384);
    expect(memory.f64.length).toBe(2048);
  });

  it("rebuilds after an unshared WebAssembly.Memory grows and detaches its buffer", () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const memory = new MemoryViews(wasm);
    memory.u32[10] = 0xdeadbeef;
    wasm.grow(1);
    expect(memory.u8.length).toBe(131072);
    expect(memory.u32[10]).toBe(0xdeadbeef);
    expect(memory.buffer).toBe(wasm.buffer);
  });

  it("rebuilds after a shared WebAssembly.Memory grows", () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const memory = new MemoryViews(wasm);
    expect(memory.i32.length).toBe(16384);
    wasm.grow(2);
    expect(memory.i32.length).toBe(49152);
  });
});

/** A buffer whose `byteLength` reads are counted (an own property shadowing the prototype's getter). */
function counted<T extends ArrayBufferLike>(buffer: T): { buffer: T; reads: () => number } {
  let reads = 0;
  const proto = Object.getPrototypeOf(buffer);
  const getter = Object.getOwnPropertyDescriptor(proto, "byteLength")?.get as () => number;
  Object.defineProperty(buffer, "byteLength", {
    get() {
      reads++;
      return getter.call(buffer);
    },
  });
  return { buffer, reads: () => reads };
}

describe("MemoryViews without byteLength reads", () => {
  it("checks a buffer that can never change once", () => {
    const { buffer, reads } = counted(new SharedArrayBuffer(4096));
    const memory = new MemoryViews(buffer);
    for (let i = 0; i < 10; i++) memory.u8[i] = i;
    expect(reads()).toBe(1);
    expect(memory.u8[9]).toBe(9);
  });

  it("with a published length word, rebuilds only when the word exceeds the views", () => {
    const { buffer, reads } = counted(new SharedArrayBuffer(4096, { maxByteLength: 65536 }));
    const memory = new MemoryViews(buffer, { lengthWord: 3 });
    new Int32Array(buffer)[3] = 4096 / 16;
    expect(memory.u8.length).toBe(4096);
    for (let i = 0; i < 10; i++) memory.u32[4 + i] = i;
    expect(reads()).toBe(1);
    // Grown but not yet published: the views still cover everything the owner handed out.
    buffer.grow(8192);
    expect(memory.u8.length).toBe(4096);
    expect(reads()).toBe(1);
    Atomics.store(memory.i32, 3, 8192 / 16);
    expect(memory.u8.length).toBe(8192);
    expect(memory.u32[13]).toBe(9);
    expect(reads()).toBe(2);
  });

  it("with a published length word, still follows an unshared wasm memory whose old buffer detached", () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const memory = new MemoryViews(wasm, { lengthWord: 0 });
    memory.i32[0] = 65536 / 16;
    expect(memory.u8.length).toBe(65536);
    wasm.grow(1);
    expect(memory.u8.length).toBe(131072);
    expect(memory.i32[0]).toBe(65536 / 16);
  });
});
