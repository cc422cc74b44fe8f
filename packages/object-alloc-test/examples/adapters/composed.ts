/**
 * The combinators of @allocators/object-alloc composed as in its tour: small requests to one arena, large ones
 * to a second arena falling back to a third, all traced. Every combinator forwards; the arenas decide reuse.
 */
import {
  ArenaAlloc,
  FallbackAlloc,
  MemoryViews,
  SegregatorAlloc,
  TracingAlloc,
} from "@allocators/object-alloc";
import type { AllocAdapter } from "../../src/index.js";

const HEAP = 1 << 20;

export default {
  name: "TracingAlloc(SegregatorAlloc(256, ArenaAlloc, FallbackAlloc(ArenaAlloc, ArenaAlloc)))",
  create() {
    const memory = new MemoryViews(new ArrayBuffer(HEAP));
    const small = new ArenaAlloc(memory, 0, HEAP / 4);
    const large = new ArenaAlloc(memory, HEAP / 4, HEAP / 2);
    const overflow = new ArenaAlloc(memory, HEAP / 2, HEAP);
    return new TracingAlloc(new SegregatorAlloc(256, small, new FallbackAlloc(large, overflow)));
  },
} satisfies AllocAdapter;
