/**
 * The consistency walk behind {@link ElfMalloc.check}: everything the heap's invariants say, verified from the
 * shared memory alone. Meant for a quiet heap (no thread in the middle of a call).
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { forEachAvailable, unmarkedWords } from "./available-slabs.js";
import {
  LARGE_CACHE_SLOTS,
  R_AVAILABLE,
  R_CACHED_GRANULES,
  R_LARGE_BLOCKS,
  R_LARGE_CACHE,
  R_LARGE_GRANULES,
  R_PAGE_MAP,
  R_POOLED_GRANULES,
  R_RETIRED,
  R_SLAB_GRANULES,
} from "./heap-root.js";
import { entryIndex, GRANULE, KIND_CACHED, KIND_LARGE, KIND_MASK, KIND_SLAB } from "./page-map.js";
import { CLASS_COUNT, SIZE_CLASSES } from "./size-classes.js";
import { freeBitsIndex, POOLED, readSlab } from "./slab.js";
import { liveRecords, recordLive, spareGranules } from "./stats.js";
import { BITS, CLASS_OFFSETS, COUNT, ITEMS, NEXT_WORD, SLAB } from "./thread-cache.js";

export function checkHeap(space: AddressSpace, root: number): string[] {
  const problems = space.check().map((p) => `address space: ${p}`);
  const i32 = space.i32;
  const u32 = space.u32;
  const r = root >>> 2;
  const map = i32[r + R_PAGE_MAP];
  const allocated = new Float64Array(CLASS_COUNT);
  let slabGranules = 0;
  let pooledGranules = 0;
  let largeGranules = 0;
  let largeBlocks = 0;
  let cachedGranules = 0;
  const cached = new Set<number>();
  for (let slot = 0; slot < LARGE_CACHE_SLOTS; slot++) {
    const base = Atomics.load(i32, r + R_LARGE_CACHE + slot);
    if (base !== 0) cached.add(base);
  }

  for (let g = 0; g < Math.ceil(space.maxBytes / GRANULE); ) {
    const e = entryIndex(map, g * GRANULE);
    const entry = u32[e];
    const kind = entry & KIND_MASK;
    if (kind === 0) {
      g++;
      continue;
    }
    const base = entry - kind;
    if (base !== g * GRANULE) {
      problems.push(`page map: granule ${g} starts a run but names base ${base}`);
      g++;
      continue;
    }
    const granules = kind === KIND_SLAB ? SIZE_CLASSES[u32[e + 1]]?.slabBytes / GRANULE : u32[e + 1];
    if (!(granules >= 1)) {
      problems.push(`page map: granule ${g} has a bad class or length ${u32[e + 1]}`);
      g++;
      continue;
    }
    // One problem per run, however many of its granules disagree (a worker killed while writing them).
    let disagree = 0;
    for (let k = 1; k < granules; k++) {
      const other = entryIndex(map, (g + k) * GRANULE);
      if (u32[other] !== entry || u32[other + 1] !== u32[e + 1]) disagree++;
    }
    if (disagree > 0) problems.push(`page map: ${disagree} granules disagree with the run at ${base}`);
    if (kind === KIND_LARGE) {
      largeGranules += granules;
      largeBlocks++;
    } else if (kind === KIND_CACHED) {
      cachedGranules += granules;
      if (!cached.delete(base)) problems.push(`large block ${base} is marked cached but is in no cache slot`);
    } else {
      slabGranules += granules;
      const cls = u32[e + 1];
      const slab = readSlab(i32, base, SIZE_CLASSES[cls].slabBytes);
      if (slab.cls === POOLED) pooledGranules += granules;
      else if (slab.cls !== cls)
        problems.push(`slab ${base}: header class ${slab.cls}, page map class ${cls}`);
      else {
        const c = SIZE_CLASSES[cls];
        if (slab.count !== slab.freeBits)
          problems.push(`slab ${base}: count ${slab.count} but ${slab.freeBits} free bits`);
        if (slab.count > c.objects)
          problems.push(`slab ${base}: count ${slab.count} above ${c.objects} objects`);
        allocated[cls] += c.objects - slab.freeBits;
      }
    }
    g += granules;
  }

  const expect = (name: string, counter: number, actual: number) => {
    if (counter !== actual) problems.push(`${name}: counter says ${counter}, the page map holds ${actual}`);
  };
  expect("slab granules", Atomics.load(i32, r + R_SLAB_GRANULES), slabGranules);
  const spares = liveRecords(i32, root).reduce((n, record) => n + spareGranules(u32, record >>> 2), 0);
  expect("pooled granules", Atomics.load(i32, r + R_POOLED_GRANULES) + spares, pooledGranules);
  expect("large granules", Atomics.load(i32, r + R_LARGE_GRANULES), largeGranules);
  expect("large blocks", Atomics.load(i32, r + R_LARGE_BLOCKS), largeBlocks);
  expect("cached large granules", Atomics.load(i32, r + R_CACHED_GRANULES), cachedGranules);
  for (const base of cached)
    problems.push(`large-block cache slot holds ${base}, which the page map does not mark cached`);

  for (const c of SIZE_CLASSES) checkAvailable(c.index);

  const live = new Float64Array(CLASS_COUNT);
  for (const c of SIZE_CLASSES) live[c.index] = Atomics.load(i32, r + R_RETIRED + c.index);
  const cachedBlocks = new Set<number>();
  for (const record of liveRecords(i32, root)) {
    const rec = record >>> 2;
    for (const c of SIZE_CLASSES) {
      const at = rec + CLASS_OFFSETS[c.index];
      live[c.index] += recordLive(u32, rec, c.index);
      for (let k = 0; k < u32[at + COUNT]; k++) {
        const ptr = u32[at + ITEMS + k];
        checkCached(ptr, c.index, `thread record ${record}, class ${c.size}, magazine item ${k}`);
      }
      const bits = u32[at + BITS];
      for (let b = 0; b < 32; b++) {
        if (bits & (1 << b)) {
          const ptr = u32[at + SLAB] + ((u32[at + NEXT_WORD] - 1) * 32 + b) * c.size;
          checkCached(ptr, c.index, `thread record ${record}, class ${c.size}, claimed word`);
        }
      }
    }
  }
  for (const c of SIZE_CLASSES) {
    const inUse = allocated[c.index];
    if (inUse !== live[c.index]) {
      problems.push(`class ${c.size}: ${inUse} blocks out of slabs, but threads count ${live[c.index]} live`);
    }
  }
  return problems;

  /** Every slab in the class's available set is an unclaimed slab of the class with `cutoff` free blocks. */
  function checkAvailable(cls: number): void {
    const set = i32[r + R_AVAILABLE + cls] >>> 2;
    const c = SIZE_CLASSES[cls];
    forEachAvailable(i32, set, (base) => {
      const e = entryIndex(map, base);
      const slab = readSlab(i32, base, c.slabBytes);
      if (u32[e] !== base + KIND_SLAB || u32[e + 1] !== cls || slab.cls !== cls) {
        problems.push(`available slabs of class ${c.size}: ${base} is not a slab of the class`);
      } else if (slab.claimed || slab.count < c.cutoff) {
        problems.push(
          `available slabs of class ${c.size}: ${base} is claimed or has ${slab.count} free blocks`,
        );
      }
    });
    const unmarked = unmarkedWords(i32, set);
    if (unmarked > 0) {
      problems.push(`available slabs of class ${c.size}: ${unmarked} words with slabs but no summary mark`);
    }
  }

  function checkCached(ptr: number, cls: number, where: string): void {
    const e = entryIndex(map, ptr);
    const base = u32[e] - KIND_SLAB;
    const c = SIZE_CLASSES[cls];
    const index = (ptr - base) / c.size;
    if (
      (u32[e] & KIND_MASK) !== KIND_SLAB ||
      u32[e + 1] !== cls ||
      !Number.isInteger(index) ||
      index >= c.objects
    ) {
      problems.push(`${where}: ${ptr} is not a block of class ${c.size}`);
      return;
    }
    if (cachedBlocks.has(ptr)) problems.push(`${where}: ${ptr} is cached twice`);
    cachedBlocks.add(ptr);
    if (i32[freeBitsIndex(base, c) + (index >>> 5)] & (1 << (index & 31))) {
      problems.push(`${where}: ${ptr} is cached and also free in its slab`);
    }
    allocated[cls]--;
  }
}
