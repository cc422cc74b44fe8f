/**
 * The consistency walk behind {@link ElfMalloc.check}: everything the heap's invariants say, verified from the
 * shared memory alone. Meant for a quiet heap (no thread in the middle of a call).
 *
 * This file composes the checks; each structure's own check sits beside its layout: the page map's runs in
 * page-map.ts, slabs in slab.ts, the available sets in available-slabs.ts, medium chunks in medium-chunk.ts,
 * a thread's medium index in medium-index.ts, thread records in thread-cache.ts. What is left here ties them
 * together: the root's counters against what the page map holds, the large-block cache's slots, and the live
 * blocks the slabs and chunks hold against the threads' counts.
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { checkAvailableSlabs, forEachAvailable } from "./available-slabs.js";
import {
  LARGE_CACHE,
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
import { CHUNK_BYTES, type ChunkBlocks, checkChunk, ownerIndex } from "./medium-chunk.js";
import { checkIndex } from "./medium-index.js";
import { checkRuns, GRANULE, KIND_CACHED, KIND_LARGE, KIND_MEDIUM } from "./page-map.js";
import { CLASS_COUNT, SIZE_CLASSES } from "./size-classes.js";
import { checkSlab, POOLED, slabClass } from "./slab.js";
import { liveRecords, liveSlots, recordLive, recordOf, spareGranules } from "./stats.js";
import {
  checkRecordMedium,
  checkRecordSlabs,
  MEDIUM_BLOCKS,
  MEDIUM_INDEX,
  MEDIUM_UNITS,
  type RecordsSeen,
} from "./thread-cache.js";

/** What the page map holds, tallied run by run. */
interface Runs {
  slabGranules: number;
  pooledGranules: number;
  largeGranules: number;
  largeBlocks: number;
  cachedGranules: number;
  /** Medium chunks, by address. */
  chunks: number[];
  /** Per class: blocks out of its slabs (not free in their bit-sets). */
  handedOut: Float64Array;
  /** Blocks in the large-block cache's slots that no cached run of the page map matched. */
  unmatchedCacheSlots: Set<number>;
}

/** The problems found in the heap whose root is at byte offset `root`; empty when it is consistent. */
export function checkHeap(space: AddressSpace, root: number): string[] {
  const problems = space.check().map((p) => `address space: ${p}`);
  const i32 = space.i32;
  const u32 = space.u32;
  const r = root >>> 2;
  const map = i32[r + R_PAGE_MAP];
  const runs = checkPageMap(space, root, problems);
  checkCounters(i32, u32, root, runs, problems);
  for (const c of SIZE_CLASSES)
    checkAvailableSlabs(i32, u32, map, i32[r + R_AVAILABLE + c.index] >>> 2, c, problems);
  checkMedium(i32, u32, root, runs.chunks, problems);
  checkRecords(i32, u32, root, runs.handedOut, problems);
  return problems;
}

/**
 * The thread records, each checked beside its layout; then, per class, the blocks out of slabs that no thread
 * caches (`handedOut`, less the cached ones) are the live blocks the threads count.
 */
function checkRecords(
  i32: Int32Array,
  u32: Uint32Array,
  root: number,
  handedOut: Float64Array,
  problems: string[],
): void {
  const r = root >>> 2;
  const live = new Float64Array(CLASS_COUNT);
  for (const c of SIZE_CLASSES) live[c.index] = Atomics.load(i32, r + R_RETIRED + c.index);
  const seen: RecordsSeen = { keptSlabs: new Set(), cachedBlocks: new Set() };
  for (const record of liveRecords(i32, root)) {
    checkRecordSlabs(i32, u32, i32[r + R_PAGE_MAP], record, seen, handedOut, problems);
    for (const c of SIZE_CLASSES) live[c.index] += recordLive(u32, record >>> 2, c.index);
  }
  for (const c of SIZE_CLASSES) {
    if (handedOut[c.index] !== live[c.index]) {
      problems.push(
        `class ${c.size}: ${handedOut[c.index]} blocks out of slabs, but threads count ${live[c.index]} live`,
      );
    }
  }
}

/**
 * Walks the page map's runs, checking their entries and each slab's header, and tallies them; a large block
 * marked cached must sit in a slot of the large-block cache.
 */
function checkPageMap(space: AddressSpace, root: number, problems: string[]): Runs {
  const i32 = space.i32;
  const r = root >>> 2;
  const runs: Runs = {
    slabGranules: 0,
    pooledGranules: 0,
    largeGranules: 0,
    largeBlocks: 0,
    cachedGranules: 0,
    chunks: [],
    handedOut: new Float64Array(CLASS_COUNT),
    unmatchedCacheSlots: new Set(),
  };
  for (let slot = 0; slot < LARGE_CACHE_SLOTS; slot++) {
    const base = LARGE_CACHE.runAt(i32, r + R_LARGE_CACHE, slot);
    if (base !== 0) runs.unmatchedCacheSlots.add(base);
  }
  const slabGranules = (cls: number) => SIZE_CLASSES[cls]?.slabBytes / GRANULE;
  const end = Math.ceil(space.maxBytes / GRANULE);
  checkRuns(
    space.u32,
    i32[r + R_PAGE_MAP],
    end,
    slabGranules,
    CHUNK_BYTES / GRANULE,
    problems,
    (base, kind, aux, granules) => {
      if (kind === KIND_LARGE) {
        runs.largeGranules += granules;
        runs.largeBlocks++;
      } else if (kind === KIND_MEDIUM) {
        runs.slabGranules += granules;
        runs.chunks.push(base);
      } else if (kind === KIND_CACHED) {
        runs.cachedGranules += granules;
        if (!runs.unmatchedCacheSlots.delete(base))
          problems.push(`large block ${base} is marked cached but is in no cache slot`);
      } else {
        runs.slabGranules += granules;
        const cls = aux;
        if (slabClass(i32, base, SIZE_CLASSES[cls].slabBytes) === POOLED) runs.pooledGranules += granules;
        else runs.handedOut[cls] += checkSlab(i32, base, cls, problems);
      }
    },
  );
  return runs;
}

/**
 * The root's counters agree with the page map's runs (spare slabs of live threads count as pooled), and the
 * large-block cache's slots hold only blocks the page map marks cached.
 */
function checkCounters(
  i32: Int32Array,
  u32: Uint32Array,
  root: number,
  runs: Runs,
  problems: string[],
): void {
  const r = root >>> 2;
  const expect = (name: string, counter: number, actual: number) => {
    if (counter !== actual) problems.push(`${name}: counter says ${counter}, the page map holds ${actual}`);
  };
  expect("slab granules", Atomics.load(i32, r + R_SLAB_GRANULES), runs.slabGranules);
  const spares = liveRecords(i32, root).reduce((n, record) => n + spareGranules(u32, record >>> 2), 0);
  expect("pooled granules", Atomics.load(i32, r + R_POOLED_GRANULES) + spares, runs.pooledGranules);
  expect("large granules", Atomics.load(i32, r + R_LARGE_GRANULES), runs.largeGranules);
  expect("large blocks", Atomics.load(i32, r + R_LARGE_BLOCKS), runs.largeBlocks);
  expect("cached large granules", Atomics.load(i32, r + R_CACHED_GRANULES), runs.cachedGranules);
  for (const base of runs.unmatchedCacheSlots) {
    problems.push(`large-block cache slot holds ${base}, which the page map does not mark cached`);
  }
}

/**
 * Medium chunks: each chunk is owned by an attached thread or sits in the orphan set (and the set holds only
 * chunks), each is consistent in itself, each owner's index lists exactly its chunks' free blocks and its
 * record its chunks, and the live blocks and units of all chunks match the threads' counts.
 */
function checkMedium(
  i32: Int32Array,
  u32: Uint32Array,
  root: number,
  chunks: number[],
  problems: string[],
): void {
  const r = root >>> 2;
  const map = i32[r + R_PAGE_MAP];
  const attached = new Set(liveSlots(i32, root));
  const freeByOwner = new Map<number, Map<number, number>>();
  const blocks: ChunkBlocks = { liveBlocks: 0, liveUnits: 0, live: new Map() };
  const orphans = new Set<number>();
  forEachAvailable(i32, i32[r + R_ORPHANS] >>> 2, (base) => orphans.add(base));
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
    const free = freeByOwner.get(owner) ?? new Map<number, number>();
    freeByOwner.set(owner, free);
    checkChunk(i32, u32, base, free, blocks, problems);
  }
  for (const slot of attached) {
    const record = recordOf(i32, root, slot);
    const rec = record >>> 2;
    checkIndex(u32, rec + MEDIUM_INDEX, freeByOwner.get(slot + 1) ?? new Map(), slot, problems);
    checkRecordMedium(u32, map, slot, record, blocks.live, chunks, problems);
    blocks.liveBlocks -= i32[rec + MEDIUM_BLOCKS];
    blocks.liveUnits -= i32[rec + MEDIUM_UNITS];
  }
  for (const base of orphans) problems.push(`orphan set: ${base} is not a medium chunk`);
  const liveBlocks = blocks.liveBlocks - Atomics.load(i32, r + R_MEDIUM_RETIRED);
  const liveUnits = blocks.liveUnits - Atomics.load(i32, r + R_MEDIUM_RETIRED + 1);
  if (liveBlocks !== 0 || liveUnits !== 0) {
    problems.push(
      `medium blocks: the chunks hold ${liveBlocks} blocks and ${liveUnits} units more than threads count`,
    );
  }
}
