import { ArenaAlloc, MemoryViews } from "@allocators/object-alloc";
import type { Workload } from "../harness.js";

const BLOCKS_PER_SCOPE = 64;

/** Scratch allocations freed together: an arena scope against `new Uint8Array` left to the GC. */
export const arenaScopes: Workload = {
  name: "arena-scope",
  description: `${BLOCKS_PER_SCOPE} scratch blocks of 16-256 B per scope, freed together`,
  baseline: "new Uint8Array + GC",
  iterations: { quick: 20_000, full: 100_000 },
  targetSeconds: 0.25,
  cases() {
    const arena = new ArenaAlloc(new MemoryViews(new ArrayBuffer(1 << 20)), 0, 1 << 20);
    const fillScope = () => {
      for (let i = 0; i < BLOCKS_PER_SCOPE; i++) arena.memory.u8[arena.alloc(16 + ((i * 37) & 240), 8)] = i;
    };
    let sink = 0;
    return [
      {
        name: "ArenaAlloc.scope",
        run(scopes) {
          for (let s = 0; s < scopes; s++) arena.scope(fillScope);
          return scopes * BLOCKS_PER_SCOPE;
        },
      },
      {
        name: "new Uint8Array + GC",
        run(scopes) {
          for (let s = 0; s < scopes; s++) {
            for (let i = 0; i < BLOCKS_PER_SCOPE; i++) {
              const block = new Uint8Array(16 + ((i * 37) & 240));
              block[0] = i;
              sink += block.length;
            }
          }
          return sink > 0 ? scopes * BLOCKS_PER_SCOPE : 0;
        },
      },
    ];
  },
};
