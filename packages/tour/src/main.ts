/**
 * `pnpm start`: a stop per package, each showing its main job and printing what it did.
 * A package joins the tour by adding a stop file here and a line to `stops`.
 */
import { mmapAllocStop } from "./mmap-alloc.js";
import { objectAllocStop } from "./object-alloc.js";
import { slabAllocStop } from "./slab-alloc.js";
import type { Stop } from "./stop.js";

const stops: Stop[] = [objectAllocStop, mmapAllocStop, slabAllocStop];

for (const stop of stops) {
  console.log(`\n== ${stop.title} ==`);
  await stop.run(console.log);
}
console.log("\nTour complete.");
