import { answerWith } from "@allocators/test-kit/browser";
import { ElfMalloc, type ElfMallocDescriptor } from "../../src/index.js";
import { fillBlock, verifyBlock } from "../pattern.js";

/**
 * A Web Worker on a heap the page created: random malloc, free and realloc of pattern-filled blocks, handing
 * blocks to the other threads through a shared exchange array (so blocks are freed by a thread that did not
 * allocate them). Verifies every block before freeing it; frees what it keeps, detaches, and answers.
 */
answerWith((job: { heap: ElfMallocDescriptor; exchange: SharedArrayBuffer; ops: number; seed: number }) => {
  const heap = ElfMalloc.attach(job.heap);
  const exchange = new Int32Array(job.exchange);
  let state = job.seed >>> 0 || 1;
  const random = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const size = () => (random(32) === 0 ? 8 + random(200_000) : 8 + random(600));
  const mine: number[] = [];
  let errors = 0;
  let crossFrees = 0;
  for (let op = 0; op < job.ops; op++) {
    const choice = random(10);
    if (choice < 4 || mine.length === 0) {
      const ptr = heap.malloc(size());
      if (ptr !== 0) {
        fillBlock(heap, ptr, Math.min(heap.usableSize(ptr), 8 + random(256)));
        mine.push(ptr);
      }
    } else if (choice < 7) {
      const ptr = mine.splice(random(mine.length), 1)[0];
      if (!verifyBlock(heap, ptr)) errors++;
      heap.free(ptr);
    } else if (choice < 8) {
      const k = random(mine.length);
      const old = mine[k];
      if (!verifyBlock(heap, old)) errors++;
      const newSize = 8 + random(4000);
      // The contents realloc must keep: the pattern written at the old address, up to the new size.
      const kept = Math.min(heap.u32[old >>> 2], newSize);
      const moved = heap.realloc(old, newSize);
      if (moved !== 0) {
        if (!holdsPattern(heap, moved, old, kept)) errors++;
        fillBlock(heap, moved, Math.min(heap.usableSize(moved), 8 + random(256)));
        mine[k] = moved;
      }
    } else {
      const ptr = mine.splice(random(mine.length), 1)[0];
      const got = Atomics.exchange(exchange, random(exchange.length), ptr) >>> 0;
      if (got !== 0) {
        if (!verifyBlock(heap, got)) errors++;
        heap.free(got);
        crossFrees++;
      }
    }
  }
  for (const ptr of mine) {
    if (!verifyBlock(heap, ptr)) errors++;
    heap.free(ptr);
  }
  heap.detach();
  return { errors, crossFrees };
});

/** True when bytes `[4, length)` of the block at `ptr` hold the pattern fillBlock wrote at `origin`. */
function holdsPattern(heap: ElfMalloc, ptr: number, origin: number, length: number): boolean {
  const u8 = heap.u8;
  for (let i = 4; i < length; i++) if (u8[ptr + i] !== ((origin * 7 + i) & 0xff)) return false;
  return true;
}
