import { ElfMalloc } from "@allocators/elfmalloc";
import { bindMalloc } from "@allocators/malloc-bind";
import { ArenaAlloc, MemoryViews } from "@allocators/object-alloc";
import type { Workload } from "../harness.js";

const BATCH = 64;
const HEAP = 1 << 20;

/**
 * The cost of C semantics: batches of malloc then free (LIFO, so the arena takes every block back) through
 * bindMalloc, with the allocator's lookup and with a header, against the allocator called directly; and the
 * same over elfmalloc, direct and through bindMalloc (the real malloc the binding is meant for).
 */
export const mallocBind: Workload = {
  name: "malloc-bind",
  description: `${BATCH} malloc(16-256 B) then ${BATCH} free, LIFO, over an arena and over elfmalloc`,
  baseline: "ArenaAlloc direct",
  iterations: { quick: 20_000, full: 100_000 },
  cases() {
    const ptrs = new Uint32Array(BATCH);
    const size = (i: number) => 16 + ((i * 37) & 240);
    const direct = new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP);
    const lookup = bindMalloc(new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP));
    const header = bindMalloc(new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 64, HEAP), {
      layout: "header",
    });
    // The shared backing, as the general workloads' heaps: V8 shares ElfMalloc's code across heaps, and typed
    // arrays over a resizable ArrayBuffer ("local") are another kind to it, so heaps of both kinds in one
    // process make every heap's accesses polymorphic (random-replace-10k after this workload: 33 -> 24 M pairs/s).
    const elf = ElfMalloc.create({ maxBytes: 16 << 20 });
    const elfBound = bindMalloc(ElfMalloc.create({ maxBytes: 16 << 20 }));
    const viaBinding = (c: typeof lookup) => (batches: number) => {
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < BATCH; i++) ptrs[i] = c.malloc(size(i));
        for (let i = BATCH - 1; i >= 0; i--) c.free(ptrs[i]);
      }
      return batches * BATCH * 2;
    };
    return [
      {
        name: "ArenaAlloc direct",
        run(batches) {
          for (let b = 0; b < batches; b++) {
            for (let i = 0; i < BATCH; i++) ptrs[i] = direct.alloc(size(i), 16);
            for (let i = BATCH - 1; i >= 0; i--) direct.dealloc(ptrs[i]);
          }
          return batches * BATCH * 2;
        },
      },
      { name: "bindMalloc (usableSize lookup)", run: viaBinding(lookup) },
      { name: "bindMalloc (header)", run: viaBinding(header) },
      {
        name: "elfmalloc direct",
        run(batches) {
          for (let b = 0; b < batches; b++) {
            for (let i = 0; i < BATCH; i++) ptrs[i] = elf.malloc(size(i));
            for (let i = BATCH - 1; i >= 0; i--) elf.free(ptrs[i]);
          }
          return batches * BATCH * 2;
        },
      },
      { name: "bindMalloc (elfmalloc)", run: viaBinding(elfBound) },
    ];
  },
};
