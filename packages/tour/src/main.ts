/**
 * `pnpm start`: a stop per package, each showing its main job and printing what it did.
 * A package joins the tour by adding a stop file here and a line to `stops`.
 */
import { bagpipeStop } from "./bagpipe.js";
import { bsallocStop } from "./bsalloc.js";
import { elfmallocStop } from "./elfmalloc.js";
import { mallocBindStop } from "./malloc-bind.js";
import { mmapAllocStop } from "./mmap-alloc.js";
import { objectAllocStop } from "./object-alloc.js";
import { objectAllocTestStop } from "./object-alloc-test.js";
import { slabAllocStop } from "./slab-alloc.js";
import type { Stop } from "./stop.js";

const stops: Stop[] = [
  objectAllocStop,
  mmapAllocStop,
  bsallocStop,
  slabAllocStop,
  bagpipeStop,
  elfmallocStop,
  mallocBindStop,
  objectAllocTestStop,
];

for (const stop of stops) {
  console.log(`\n== ${stop.title} ==`);
  await stop.run(console.log);
}
console.log("\nTour complete.");
