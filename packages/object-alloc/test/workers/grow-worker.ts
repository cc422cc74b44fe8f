import { answerWith } from "@allocators/test-kit/browser";
import { MemoryViews } from "../../src/index.js";

/**
 * Grows a shared buffer or a shared WebAssembly.Memory from this Web Worker, writes `marker` into the last u32
 * of the grown heap through a MemoryViews, and answers the new length: the test checks that the main
 * thread's views follow a growth made elsewhere.
 */
answerWith((data: { buffer?: SharedArrayBuffer; memory?: WebAssembly.Memory; marker: number }) => {
  let memory: MemoryViews;
  if (data.memory) {
    data.memory.grow(2);
    memory = new MemoryViews(data.memory);
  } else {
    const buffer = data.buffer!;
    buffer.grow(buffer.byteLength * 2);
    memory = new MemoryViews(buffer);
  }
  const last = memory.u32.length - 1;
  Atomics.store(memory.i32, last, data.marker);
  return { byteLength: memory.u8.byteLength };
});
