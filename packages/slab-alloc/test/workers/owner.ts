/**
 * A worker that owns a SlabAlloc over a shared address space. workerData: { descriptor, id }. It churns with
 * content checks, then allocates 1000 structs { id: u32, value: f64 } and posts { ptrs, errors, problems }.
 * On the message "free" it frees them, trims, and posts { problems, slabs }.
 */

import { parentPort, workerData } from "node:worker_threads";
import { AddressSpace, type AddressSpaceDescriptor } from "@allocators/mmap-alloc";
import { SlabAlloc, struct } from "../../src/index.js";

const { descriptor, id } = workerData as { descriptor: AddressSpaceDescriptor; id: number };
const space = AddressSpace.attach(descriptor);
const Item = struct({ id: "u32", value: "f64" });
const item = Item.bind(space);
const slab = new SlabAlloc(space, { size: Item.layout.size, align: Item.layout.align, workingSetMs: 0 });

let errors = 0;
let seed = id * 7919 + 1;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const live: number[] = [];
for (let step = 0; step < 30_000; step++) {
  if (live.length > 0 && random(2) === 0) {
    const k = random(live.length);
    const p = live[k];
    if (item.id.get(p) !== id || item.value.get(p) !== p) errors++;
    live[k] = live[live.length - 1];
    live.pop();
    slab.dealloc(p);
  } else {
    const p = slab.alloc();
    item.id.set(p, id);
    item.value.set(p, p);
    live.push(p);
  }
}
for (const p of live) slab.dealloc(p);

const ptrs = Array.from({ length: 1000 }, (_, i) => {
  const p = slab.alloc();
  item.id.set(p, id);
  item.value.set(p, id * 1e6 + i);
  return p;
});
parentPort!.postMessage({ ptrs, errors, problems: slab.check() });
parentPort!.once("message", () => {
  for (const p of ptrs) slab.dealloc(p);
  slab.trim();
  parentPort!.postMessage({ problems: slab.check(), slabs: slab.stats().slabs });
});
