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
  R_MEDIUM_RETIRED,
  R_ORPHANS,
  R_PAGE_MAP,
  R_POOLED_GRANULES,
  R_RETIRED,
  R_SLAB_GRANULES,
} from "./heap-root.js";
import {
  CHUNK_BYTES,
  forEachBlock,
  headerBitsSet,
  isFree,
  isPending,
  nextChunk,
  ownerIndex,
  remoteTop,
  UNIT,
} from "./medium-chunk.js";
import { forEachListed, listHead, listMarked, listOf } from "./medium-index.js";
import {
  entryIndex,
  GRANULE,
  KIND_CACHED,
  KIND_LARGE,
  KIND_MASK,
  KIND_MEDIUM,
  KIND_SLAB,
} from "./page-map.js";
import { CLASS_COUNT, SIZE_CLASSES } from "./size-classes.js";
import { freeBitsIndex, POOLED, readSlab } from "./slab.js";
import { liveRecords, liveSlots, mediumCached, recordLive, recordOf, spareGranules } from "./stats.js";
import {
  BITS,
  CHUNK_COUNT,
  CHUNKS,
  CLASS_OFFSETS,
  COUNT,
  ITEMS,
  KEPT,
  KEPT_SLOTS,
  MEDIUM_BLOCKS,
  MEDIUM_INDEX,
  MEDIUM_UNITS,
  NEXT_WORD,
  SLAB,
} from "./thread-cache.js";

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
  const chunks: number[] = [];
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
    if (kind === KIND_MEDIUM && granules !== CHUNK_BYTES / GRANULE) {
      problems.push(`page map: medium chunk ${base} has length ${granules} granules`);
    }
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
    } else if (kind === KIND_MEDIUM) {
      slabGranules += granules;
      chunks.push(base);
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
  problems.push(...checkMedium(i32, u32, root, map, chunks));

  const live = new Float64Array(CLASS_COUNT);
  for (const c of SIZE_CLASSES) live[c.index] = Atomics.load(i32, r + R_RETIRED + c.index);
  const cachedBlocks = new Set<number>();
  const keptSlabs = new Set<number>();
  for (const record of liveRecords(i32, root)) {
    const rec = record >>> 2;
    checkKept(record);
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

  /** Every slab a thread keeps is an unclaimed 16 KiB slab of its class with `cutoff` free blocks, kept once. */
  function checkKept(record: number): void {
    for (let k = 0; k < KEPT_SLOTS; k++) {
      const entry = u32[(record >>> 2) + KEPT + k];
      if (entry === 0) continue;
      const base = entry & ~(GRANULE - 1);
      const c = SIZE_CLASSES[(entry & (GRANULE - 1)) - 1];
      const slab = c && readSlab(i32, base, c.slabBytes);
      const e = entryIndex(map, base);
      if (!slab || u32[e] !== base + KIND_SLAB || u32[e + 1] !== c.index || slab.cls !== c.index) {
        problems.push(`thread record ${record}: kept slab ${base} is not a slab of its class`);
      } else if (slab.claimed || slab.count < c.cutoff || keptSlabs.has(base)) {
        problems.push(
          `thread record ${record}: kept slab ${base} is claimed, kept twice or has ${slab.count} free`,
        );
      }
      keptSlabs.add(base);
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

/**
 * Medium chunks: each block's units agree (all free or all live), pending bits mark exactly the remote stack's
 * blocks, every free block of an attached owner is listed once in its index with its length (and nothing else
 * is), each owner's chunk list names its chunks, and live blocks and units match the threads' counts.
 */
function checkMedium(
  i32: Int32Array,
  u32: Uint32Array,
  root: number,
  map: number,
  chunks: number[],
): string[] {
  const problems: string[] = [];
  const attached = new Set(liveSlots(i32, root));
  const freeByOwner = new Map<number, Map<number, number>>();
  let liveBlocks = 0;
  let liveUnits = 0;
  /** Live medium blocks, not pending, by address: their units. */
  const live = new Map<number, number>();
  const orphans = new Set<number>();
  forEachAvailable(i32, i32[(root >>> 2) + R_ORPHANS] >>> 2, (base) => orphans.add(base));
  for (const base of chunks) {
    const owner = u32[ownerIndex(base)];
    if ((owner === 0) !== orphans.delete(base)) {
      problems.push(
        `medium chunk ${base}: owner ${owner - 1}, ${owner === 0 ? "not " : ""}in the orphan set`,
      );
    }
    if (owner !== 0 && !attached.has(owner - 1)) {
      problems.push(`medium chunk ${base}: owned by slot ${owner - 1}, which is not attached`);
    }
    if (headerBitsSet(u32, base) !== 0) problems.push(`medium chunk ${base}: bits set in its header`);
    const free = freeByOwner.get(owner) ?? new Map<number, number>();
    freeByOwner.set(owner, free);
    const pending = new Set<number>();
    forEachBlock(u32, base, (unit, units, isFreeBlock) => {
      const ptr = base + unit * UNIT;
      let mixed = false;
      for (let k = 1; k < units; k++) {
        if (isFree(u32, base, unit + k) !== isFreeBlock) mixed = true;
      }
      if (mixed) problems.push(`medium chunk ${base}: block ${ptr} is part free, part live`);
      if (isFreeBlock) free.set(ptr, units);
      else {
        liveBlocks++;
        liveUnits += units;
        if (isPending(u32, base, unit)) pending.add(ptr);
        else live.set(ptr, units);
      }
    });
    let stacked = 0;
    for (let ptr = remoteTop(i32, base); ptr !== 0 && stacked <= pending.size; ptr = u32[ptr >>> 2]) {
      if (!pending.has(ptr)) {
        problems.push(`medium chunk ${base}: remote stack holds ${ptr}, not a pending live block`);
        break;
      }
      stacked++;
    }
    if (stacked !== pending.size) {
      problems.push(`medium chunk ${base}: ${pending.size} pending blocks, ${stacked} on the remote stack`);
    }
  }
  for (const slot of attached) {
    const rec = recordOf(i32, root, slot) >>> 2;
    const free = freeByOwner.get(slot + 1) ?? new Map<number, number>();
    const listed = new Set<number>();
    forEachListed(u32, rec + MEDIUM_INDEX, (ptr, units, list) => {
      if (free.get(ptr) !== units || listOf(units) !== list || listed.has(ptr)) {
        problems.push(
          `thread ${slot}: medium list ${list} names ${ptr} (${units} units), not one free block`,
        );
        return false;
      }
      listed.add(ptr);
      return true;
    });
    for (let list = 0; list < 64; list++) {
      if (listMarked(u32, rec + MEDIUM_INDEX, list) !== (listHead(u32, rec + MEDIUM_INDEX, list) !== 0))
        problems.push(`thread ${slot}: medium list ${list} is marked wrongly`);
    }
    if (listed.size !== free.size) {
      problems.push(`thread ${slot}: ${free.size} free medium blocks, ${listed.size} listed`);
    }
    const cached = new Set<number>();
    mediumCached(u32, rec, (ptr, units, where) => {
      const entry = u32[entryIndex(map, ptr)];
      if (
        (entry & KIND_MASK) !== KIND_MEDIUM ||
        u32[ownerIndex(entry & ~KIND_MASK)] !== slot + 1 ||
        live.get(ptr) !== units ||
        cached.has(ptr)
      ) {
        problems.push(
          `thread ${slot}, ${where}: ${ptr} is not a live ${units}-unit block of its chunks, once`,
        );
      }
      cached.add(ptr);
    });
    let n = 0;
    for (let base = u32[rec + CHUNKS]; base !== 0 && n <= chunks.length; base = nextChunk(u32, base)) {
      if (u32[entryIndex(map, base)] !== base + KIND_MEDIUM || u32[ownerIndex(base)] !== slot + 1) break;
      n++;
    }
    if (n !== u32[rec + CHUNK_COUNT]) {
      problems.push(`thread ${slot}: lists ${n} medium chunks, counts ${u32[rec + CHUNK_COUNT]}`);
    }
    const owned = chunks.filter((base) => u32[ownerIndex(base)] === slot + 1).length;
    if (owned !== n) problems.push(`thread ${slot}: owns ${owned} medium chunks, lists ${n}`);
    liveBlocks -= i32[rec + MEDIUM_BLOCKS];
    liveUnits -= i32[rec + MEDIUM_UNITS];
  }
  for (const base of orphans) problems.push(`orphan set: ${base} is not a medium chunk`);
  const r = root >>> 2;
  liveBlocks -= Atomics.load(i32, r + R_MEDIUM_RETIRED);
  liveUnits -= Atomics.load(i32, r + R_MEDIUM_RETIRED + 1);
  if (liveBlocks !== 0 || liveUnits !== 0) {
    problems.push(
      `medium blocks: the chunks hold ${liveBlocks} blocks and ${liveUnits} units more than threads count`,
    );
  }
  return problems;
}
