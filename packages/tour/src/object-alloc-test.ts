import { formatReport } from "@allocators/object-alloc-test";
import { checkModule } from "@allocators/object-alloc-test/node";
import type { Stop } from "./stop.js";

const ADAPTERS = [
  "arena",
  "composed",
  "map-alloc",
  "bsalloc",
  "elfmalloc",
  "slab-alloc",
  "object-pool",
  "thing-malloc",
];

export const objectAllocTestStop: Stop = {
  title: "@allocators/object-alloc-test: the report card of every allocator",
  async run(print) {
    for (const name of ADAPTERS) {
      const url = new URL(`../../object-alloc-test/examples/adapters/${name}.ts`, import.meta.url);
      for (const report of await checkModule(url, { seed: 2026, ops: 100_000, propertyRuns: 50 })) {
        for (const line of formatReport(report).split("\n")) print(line);
      }
    }
    print("(a FAIL above is what the check found in that allocator: see the object-alloc-test README)");
  },
};
