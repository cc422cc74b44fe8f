/**
 * Heap statistics, read from counters: the root's atomic counters and each thread record's plain ones.
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { popcount } from "@allocators/object-alloc";
import {
  R_CACHED_GRANULES,
  R_LARGE_BLOCKS,
  R_LARGE_GRANULES,
  R_MAX_THREADS,
  R_MEDIUM_RETIRED,
  R_POOLED_GRANULES,
  R_RETIRED,
  R_SLAB_GRANULES,
  R_THREADS,
  THREAD_WORDS,
} from "./heap-root.js";
import { UNIT } from "./medium-chunk.js";
import { GRANULE } from "./page-map.js";
import { CLASS_COUNT, SIZE_CLASSES, SLAB_SIZES } from "./size-classes.js";
import {
  BITS,
  CLASS_OFFSETS,
  COUNT,
  MEDIUM_BLOCKS,
  MEDIUM_UNITS,
  mediumCached,
  REMOTE_FREES,
  SLAB_FREES,
  SPARE_SLOTS,
  SPARES,
  TAKEN,
} from "./thread-cache.js";
import { SLOT_CLOSING, SLOT_LIVE } from "./thread-table.js";

/** Per size class figures. */
export interface ClassStats {
  size: number;
  /** Blocks handed out and not freed. */
  liveBlocks: number;
  /** Free blocks held in thread caches (magazines and claimed words). */
  cachedBlocks: number;
}

/** What {@link ElfMalloc.stats} reports. Sums over threads are exact when no thread is mid-call. */
export interface ElfMallocStats {
  /**
   * Bytes of live blocks, counted at their class size (medium blocks at their 64-byte units, large blocks at
   * their mapped size).
   */
  liveBytes: number;
  liveBlocks: number;
  /**
   * Live medium blocks (257 B to 16 KiB) and their bytes, in 64-byte units. A block another thread freed counts
   * as live until its chunk's owner takes it back (when it next needs memory, or on `trim()`).
   */
  mediumBytes: number;
  mediumBlocks: number;
  largeBytes: number;
  largeBlocks: number;
  /** Bytes of slabs and medium chunks, including those parked in the page pools. */
  slabBytes: number;
  /** Bytes of empty slabs and medium chunks parked in the page pools, and of threads' spare slabs. */
  pooledBytes: number;
  /** Bytes of free blocks held in thread caches (magazines of classes and of medium blocks, claimed words). */
  cachedBytes: number;
  /** Bytes of free large blocks kept in the large-block cache for reuse. */
  largeCachedBytes: number;
  /** Bytes mapped from the address space by anyone, and the buffer's length (what the engine committed). */
  mappedBytes: number;
  heapBytes: number;
  /** Threads attached now. */
  threads: number;
  /** Frees that went into slab bit-sets (magazine overflows and returned caches), by live threads. */
  slabFrees: number;
  /** Medium blocks that live threads freed into another thread's chunks (onto its remote stack). */
  remoteFrees: number;
  /** The classes with live or cached blocks. */
  classes: ClassStats[];
}

/**
 * The live blocks of class `cls` that the thread record at u32 index `rec` accounts for: those it took out of
 * slabs and does not cache (negative when it freed more blocks that other threads allocated than it handed out).
 */
export function recordLive(u32: Uint32Array, rec: number, cls: number): number {
  const at = rec + CLASS_OFFSETS[cls];
  return (u32[rec + TAKEN + cls] | 0) - u32[at + COUNT] - popcount(u32[at + BITS]);
}

/** The thread table slots that are attached (live or being closed). */
export function liveSlots(i32: Int32Array, root: number): number[] {
  const r = root >>> 2;
  const slots: number[] = [];
  for (let slot = 0; slot < i32[r + R_MAX_THREADS]; slot++) {
    const state = Atomics.load(i32, r + R_THREADS + slot * THREAD_WORDS);
    if (state === SLOT_LIVE || state === SLOT_CLOSING) slots.push(slot);
  }
  return slots;
}

/** The byte offset of the thread record of table slot `slot`. */
export function recordOf(i32: Int32Array, root: number, slot: number): number {
  return i32[(root >>> 2) + R_THREADS + slot * THREAD_WORDS + 1];
}

/** Threads' record byte offsets, for the slots that are attached. */
export function liveRecords(i32: Int32Array, root: number): number[] {
  return liveSlots(i32, root).map((slot) => recordOf(i32, root, slot));
}

/** The granules of the spare slabs (16 KiB, parked for the thread) of the record at u32 index `rec`. */
export function spareGranules(u32: Uint32Array, rec: number): number {
  let n = 0;
  for (let k = 0; k < SPARE_SLOTS; k++) if (u32[rec + SPARES + k] !== 0) n++;
  return n * (SLAB_SIZES[0] / GRANULE);
}

export function heapStats(space: AddressSpace, root: number): ElfMallocStats {
  const i32 = space.i32;
  const u32 = space.u32;
  const r = root >>> 2;
  const records = liveRecords(i32, root).map((record) => record >>> 2);
  const live = new Float64Array(CLASS_COUNT);
  const cached = new Float64Array(CLASS_COUNT);
  let slabFrees = 0;
  let remoteFrees = 0;
  let spares = 0;
  let mediumBlocks = Atomics.load(i32, r + R_MEDIUM_RETIRED);
  let mediumUnits = Atomics.load(i32, r + R_MEDIUM_RETIRED + 1);
  let mediumCachedUnits = 0;
  for (const c of SIZE_CLASSES) live[c.index] = Atomics.load(i32, r + R_RETIRED + c.index);
  for (const rec of records) {
    slabFrees += u32[rec + SLAB_FREES];
    remoteFrees += u32[rec + REMOTE_FREES];
    spares += spareGranules(u32, rec);
    // A block in a magazine is free to the thread, though still allocated in its chunk's bits.
    const magazines = mediumCached(u32, rec);
    mediumBlocks += i32[rec + MEDIUM_BLOCKS] - magazines.blocks;
    mediumUnits += i32[rec + MEDIUM_UNITS] - magazines.units;
    mediumCachedUnits += magazines.units;
    for (const c of SIZE_CLASSES) {
      const at = rec + CLASS_OFFSETS[c.index];
      live[c.index] += recordLive(u32, rec, c.index);
      cached[c.index] += u32[at + COUNT] + popcount(u32[at + BITS]);
    }
  }
  const largeGranules = Atomics.load(i32, r + R_LARGE_GRANULES);
  const largeBlocks = Atomics.load(i32, r + R_LARGE_BLOCKS);
  const classes = SIZE_CLASSES.flatMap((c) =>
    live[c.index] || cached[c.index]
      ? [{ size: c.size, liveBlocks: live[c.index], cachedBlocks: cached[c.index] }]
      : [],
  );
  const sum = (f: (stat: ClassStats) => number) => classes.reduce((total, stat) => total + f(stat), 0);
  const space_ = space.stats();
  return {
    liveBytes: sum((stat) => stat.liveBlocks * stat.size) + mediumUnits * UNIT + largeGranules * GRANULE,
    liveBlocks: sum((stat) => stat.liveBlocks) + mediumBlocks + largeBlocks,
    mediumBytes: mediumUnits * UNIT,
    mediumBlocks,
    largeBytes: largeGranules * GRANULE,
    largeBlocks,
    slabBytes: Atomics.load(i32, r + R_SLAB_GRANULES) * GRANULE,
    pooledBytes: (Atomics.load(i32, r + R_POOLED_GRANULES) + spares) * GRANULE,
    cachedBytes: sum((stat) => stat.cachedBlocks * stat.size) + mediumCachedUnits * UNIT,
    largeCachedBytes: Atomics.load(i32, r + R_CACHED_GRANULES) * GRANULE,
    mappedBytes: space_.mappedBytes,
    heapBytes: space.buffer.byteLength,
    threads: records.length,
    slabFrees,
    remoteFrees,
    classes,
  };
}
