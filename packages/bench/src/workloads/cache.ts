/**
 * False sharing (after the published descriptions of Hoard's cache-thrash and cache-scratch). Each worker
 * repeatedly allocates an 8-B object, writes all of it `writes` times, and frees it. An allocator that gives
 * concurrent workers objects on one cache line makes those writes contend (active false sharing:
 * cache-thrash). In cache-scratch the main thread first allocates one object per worker, back to back, and
 * each worker starts by freeing its object: an allocator that reuses that memory for the worker's own objects
 * brings the main thread's neighbouring objects' lines into play (passive false sharing). Private heaps have no
 * hand-off: there, each worker's first object comes from its own heap.
 *
 * @module
 */
import type { AdapterSource } from "../adapters/adapter.js";
import { openHere, THING } from "../adapters/contenders.js";
import { workerWorkload } from "../cases.js";
import { type Kernel, num, outOfMemory } from "../kernel.js";
import { WORKER_COUNTS } from "./scaling.js";

export const cacheKernel: Kernel = ({ heap, index, params }) => {
  const size = num(params, "size");
  const writes = num(params, "writes");
  const handed = params.handed ? new Int32Array(params.handed as SharedArrayBuffer) : undefined;
  if (handed && handed[index] !== 0) heap.free(handed[index], size);
  return {
    run(iterations) {
      for (let i = 0; i < iterations; i++) {
        const ptr = heap.malloc(size);
        if (ptr === 0) outOfMemory(size);
        for (let w = 0; w < writes; w++) heap.fill(ptr, size, w);
        heap.free(ptr, size);
      }
      return iterations;
    },
  };
};

/** Hands each worker an object allocated here, back to back, from the shared heap (if there is one). */
function handOff(workers: number, source: AdapterSource): Record<string, unknown> {
  const handed = new Int32Array(new SharedArrayBuffer(4 * workers));
  const heap = openHere(source);
  if (heap) for (let i = 0; i < workers; i++) handed[i] = heap.malloc(8);
  return { handed: handed.buffer };
}

function family(name: string, scratch: boolean) {
  return WORKER_COUNTS.map((workers) =>
    workerWorkload({
      name: `${name}-w${workers}`,
      description: `${name} on ${workers} worker(s): malloc 8 B, write it 100 times, free`,
      kernel: "cache",
      params: { size: 8, writes: 100 },
      prepare: scratch ? handOff : undefined,
      heapBytes: 1 << 20,
      family: name,
      workers,
      crossThread: scratch,
      iterations: { quick: 20_000, full: 200_000 },
      unit: "objects",
      scale: { [THING]: 1 },
    }),
  );
}

export const cacheThrash = family("cache-thrash", false);
export const cacheScratch = family("cache-scratch", true);
