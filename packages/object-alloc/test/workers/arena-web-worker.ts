import { answerWith } from "@allocators/test-kit/browser";
import { ArenaAlloc, MemoryViews } from "../../src/index.js";

/**
 * Allocates `count` blocks of varied sizes and alignments from an arena over `[start, end)` of a shared
 * WebAssembly.Memory, fills each with its own byte, then raises a flag (Atomics.store + notify) that the
 * main thread awaits with Atomics.waitAsync. Answers the blocks.
 */
answerWith(
  (data: {
    memory: WebAssembly.Memory;
    start: number;
    end: number;
    count: number;
    flag: number;
    fill: number;
  }) => {
    const memory = new MemoryViews(data.memory);
    const arena = new ArenaAlloc(memory, data.start, data.end);
    const blocks: { ptr: number; size: number; align: number }[] = [];
    for (let i = 0; i < data.count; i++) {
      const size = 1 + ((i * 37) % 200);
      const align = 1 << (i % 7);
      const ptr = arena.alloc(size, align);
      if (ptr === 0) throw new Error(`arena full at block ${i}`);
      memory.u8.fill(data.fill, ptr, ptr + size);
      blocks.push({ ptr, size, align });
    }
    Atomics.store(memory.i32, data.flag >> 2, 1);
    Atomics.notify(memory.i32, data.flag >> 2);
    return blocks;
  },
);
