import {
  ArenaAlloc,
  FallbackAlloc,
  Layout,
  MemoryViews,
  SegregatorAlloc,
  type TraceEvent,
  TracingAlloc,
} from "@allocators/object-alloc";
import type { Stop } from "./stop.js";

export const objectAllocStop: Stop = {
  title: "@allocators/object-alloc: layouts and composable allocators",
  run(print) {
    const point = Layout.from(4, 4).extend(Layout.from(8, 8));
    print(`struct { u32 id; f64 x } -> ${point.layout.padToAlign()}, x at offset ${point.offset}`);

    const memory = new MemoryViews(new ArrayBuffer(1 << 16));
    const small = new ArenaAlloc(memory, 0, 4096);
    const large = new ArenaAlloc(memory, 4096, 1 << 16);
    const events: TraceEvent[] = [];
    const heap = new TracingAlloc(new SegregatorAlloc(256, small, new FallbackAlloc(large, small)), (e) =>
      events.push(e),
    );

    const a = heap.alloc(64, 16);
    const b = heap.alloc(1000);
    const c = heap.realloc(a, 512, 16);
    print(`segregated: 64 B -> small arena at ${a}, 1000 B -> large arena at ${b}`);
    print(`realloc 64 -> 512 B moved the block across the threshold: ${a} -> ${c}`);
    heap.dealloc(b);
    print(`traced ${events.length} operations: ${events.map((e) => `${e.op}(${e.ptr})`).join(", ")}`);
    const { liveBlocks, liveBytes, peakBytes } = heap.stats();
    print(`live blocks ${liveBlocks}, live bytes ${liveBytes}, peak bytes ${peakBytes}`);

    const before = small.top;
    small.scope(() => {
      for (let i = 0; i < 10; i++) small.alloc(100);
      print(`scope: 10 scratch blocks, arena top ${before} -> ${small.top}`);
    });
    print(`scope returned: arena top back to ${small.top}`);
  },
};
