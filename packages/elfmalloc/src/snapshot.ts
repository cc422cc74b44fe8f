/**
 * The picture behind {@link ElfMalloc.snapshot}: every slab and every medium chunk with the state of each of
 * its blocks, every large block, and what each thread's caches hold, read from the shared memory alone (the
 * page map, slab headers and bit-sets, chunk bit-sets and remote stacks, thread records), plus the counters of
 * `stats()`.
 *
 * A block is in one of these states:
 * ```
 * free     its bit is set in the slab's free bit-set (a chunk's free bits, for a medium block)
 * cached   free, but held privately by a thread: an item of its magazine, or a bit of the word it took
 * live     neither: handed out by malloc and not freed
 * pending  a medium block another thread freed, waiting on its chunk's remote stack for the owner
 * ```
 * The walk uses loads only, so it never blocks and may run while other threads allocate; then it is a sketch
 * of a moment, not a consistent cut (a block moving between states may show in either). On a quiet heap it is
 * exact, and its counts agree with `stats()` and `check()`.
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { lowestBit } from "@allocators/object-alloc";
import { R_PAGE_MAP } from "./heap-root.js";
import { forEachBlock, isPending, ownerIndex, UNIT } from "./medium-chunk.js";
import { entryIndex, forEachRun, GRANULE, KIND_LARGE, KIND_MEDIUM, KIND_SLAB } from "./page-map.js";
import { SIZE_CLASSES, type SizeClass } from "./size-classes.js";
import { blockIndex, freeBitsIndex, POOLED, readSlab } from "./slab.js";
import { type ElfMallocStats, heapStats, liveSlots, recordOf } from "./stats.js";
import { BITS, CLASS_OFFSETS, COUNT, claimedBlock, ITEMS, mediumCached, SLAB } from "./thread-cache.js";

/** Block state in {@link SlabSnapshot.blocks}: in the slab's free bit-set. */
export const BLOCK_FREE = 0;
/** Block state in {@link SlabSnapshot.blocks}: handed out and not freed. */
export const BLOCK_LIVE = 1;
/** Block state in {@link SlabSnapshot.blocks}: free, held in a thread's cache (magazine or claimed word). */
export const BLOCK_CACHED = 2;

/** Block state in {@link MediumChunkSnapshot.blocks}: freed by another thread, not yet taken back by the owner. */
export const BLOCK_PENDING = 3;

/** One block of a medium chunk. */
export interface MediumBlockSnapshot {
  ptr: number;
  bytes: number;
  /** {@link BLOCK_FREE}, {@link BLOCK_LIVE}, {@link BLOCK_CACHED} (in its thread's magazine) or {@link BLOCK_PENDING}. */
  state: number;
}

/** A medium chunk (64 KiB of blocks from 257 B to 16 KiB, in 64-byte units). */
export interface MediumChunkSnapshot {
  base: number;
  /** The thread slot that allocates from it, or -1 while orphaned (its thread left; the next free adopts it). */
  owner: number;
  /** Its blocks in address order. */
  blocks: MediumBlockSnapshot[];
  liveBlocks: number;
  /** Bytes of live and pending blocks, in whole units. */
  liveBytes: number;
  freeBytes: number;
  pendingBlocks: number;
  /** Blocks in the owner's medium magazines, and their bytes. */
  cachedBlocks: number;
  cachedBytes: number;
}

/** One slab in use (parked slabs are only counted, in {@link HeapSnapshot.pooledSlabs}). */
export interface SlabSnapshot {
  /** Byte offset of the slab's first block. */
  base: number;
  /** Index of its size class in `SIZE_CLASSES`. */
  classIndex: number;
  /** Block size in bytes. */
  size: number;
  slabBytes: number;
  /** The thread slot that has claimed the slab and allocates from it, or -1 when unclaimed. */
  owner: number;
  /** Per block: {@link BLOCK_FREE}, {@link BLOCK_LIVE} or {@link BLOCK_CACHED}. */
  blocks: Uint8Array;
  liveBlocks: number;
  freeBlocks: number;
  cachedBlocks: number;
}

/** A large block (above `MAX_SMALL`), mapped whole. */
export interface LargeBlockSnapshot {
  base: number;
  bytes: number;
}

/** What one class of a thread's cache holds. */
export interface ThreadClassSnapshot {
  /** Block size in bytes. */
  size: number;
  /** Free blocks in the thread's magazine of this class. */
  magazineBlocks: number;
  /** Free blocks left in the word of bits it took from its claimed slab. */
  claimedWordBlocks: number;
  /** The slab it has claimed for this class (byte offset), or 0. */
  slab: number;
}

/** One attached thread. */
export interface ThreadSnapshot {
  /** Its slot in the thread table: `threadId` of its handle, `owner` of the slabs it claimed. */
  slot: number;
  /** Free blocks its caches hold (class and medium magazines, claimed words), and their bytes. */
  cachedBlocks: number;
  cachedBytes: number;
  /** The classes where it holds blocks or has claimed a slab. */
  classes: ThreadClassSnapshot[];
}

/** What {@link ElfMalloc.snapshot} returns. */
export interface HeapSnapshot {
  /** The counters, as `stats()` reports them. */
  stats: ElfMallocStats;
  /** Slabs in use, by class then address. */
  slabs: SlabSnapshot[];
  /** Empty slabs parked in the page pools. */
  pooledSlabs: number;
  /** Medium chunks, by address. */
  chunks: MediumChunkSnapshot[];
  /** Large blocks, by address. */
  large: LargeBlockSnapshot[];
  /** Attached threads, by slot. */
  threads: ThreadSnapshot[];
}

export function heapSnapshot(space: AddressSpace, root: number): HeapSnapshot {
  const stats = heapStats(space, root);
  const i32 = space.i32;
  const u32 = space.u32;
  const map = i32[(root >>> 2) + R_PAGE_MAP];
  const slabs = new Map<number, SlabSnapshot>();
  const large: LargeBlockSnapshot[] = [];
  const chunks: MediumChunkSnapshot[] = [];
  const cachedMedium = new Set<number>();
  for (const slot of liveSlots(i32, root)) {
    mediumCached(u32, recordOf(i32, root, slot) >>> 2, (ptr) => cachedMedium.add(ptr));
  }
  let pooledSlabs = 0;
  // Only the granules the engine committed can hold runs; a run's first granule names it. Every granule is
  // looked at, not only each run's first: while other threads map and unmap, a length read here may be stale.
  forEachRun(u32, map, Math.floor(space.buffer.byteLength / GRANULE), (g, base, kind, aux) => {
    if (base !== g * GRANULE) return 1;
    if (kind === KIND_LARGE) large.push({ base, bytes: aux * GRANULE });
    if (kind === KIND_MEDIUM) chunks.push(chunkSnapshot(u32, base, cachedMedium));
    const c = kind === KIND_SLAB ? SIZE_CLASSES[aux] : undefined;
    if (!c) return 1;
    const header = readSlab(i32, base, c.slabBytes);
    if (header.cls === POOLED) pooledSlabs++;
    // A class that disagrees with the page map is a slab being re-formatted right now: skip it.
    else if (header.cls === c.index) {
      slabs.set(base, slabSnapshot(i32, base, c, header.claimed ? header.owner : -1));
    }
    return 1;
  });
  const threads = liveSlots(i32, root).map((slot) =>
    threadSnapshot(space, map, recordOf(i32, root, slot), slot, slabs),
  );
  const ordered = [...slabs.values()].sort((a, b) => a.classIndex - b.classIndex || a.base - b.base);
  for (const slab of ordered) countBlocks(slab);
  return { stats, slabs: ordered, pooledSlabs, chunks, large, threads };
}

function chunkSnapshot(u32: Uint32Array, base: number, cached: Set<number>): MediumChunkSnapshot {
  const chunk: MediumChunkSnapshot = {
    base,
    owner: u32[ownerIndex(base)] - 1,
    blocks: [],
    liveBlocks: 0,
    liveBytes: 0,
    freeBytes: 0,
    pendingBlocks: 0,
    cachedBlocks: 0,
    cachedBytes: 0,
  };
  forEachBlock(u32, base, (unit, units, free) => {
    const ptr = base + unit * UNIT;
    const bytes = units * UNIT;
    const state = free
      ? BLOCK_FREE
      : isPending(u32, base, unit)
        ? BLOCK_PENDING
        : cached.has(ptr)
          ? BLOCK_CACHED
          : BLOCK_LIVE;
    chunk.blocks.push({ ptr, bytes, state });
    if (state === BLOCK_FREE) chunk.freeBytes += bytes;
    else if (state === BLOCK_CACHED) {
      chunk.cachedBlocks++;
      chunk.cachedBytes += bytes;
    } else chunk.liveBytes += bytes;
    if (state === BLOCK_LIVE) chunk.liveBlocks++;
    if (state === BLOCK_PENDING) chunk.pendingBlocks++;
  });
  return chunk;
}

/** The slab's blocks as its free bit-set says: free, or live until a thread cache claims them. */
function slabSnapshot(i32: Int32Array, base: number, c: SizeClass, owner: number): SlabSnapshot {
  const bits = freeBitsIndex(base, c);
  const blocks = new Uint8Array(c.objects);
  for (let i = 0; i < c.objects; i++) {
    blocks[i] = Atomics.load(i32, bits + (i >>> 5)) & (1 << (i & 31)) ? BLOCK_FREE : BLOCK_LIVE;
  }
  const { index: classIndex, size, slabBytes } = c;
  return { base, classIndex, size, slabBytes, owner, blocks, liveBlocks: 0, freeBlocks: 0, cachedBlocks: 0 };
}

function countBlocks(slab: SlabSnapshot): void {
  for (const state of slab.blocks) {
    if (state === BLOCK_LIVE) slab.liveBlocks++;
    else if (state === BLOCK_FREE) slab.freeBlocks++;
    else slab.cachedBlocks++;
  }
}

/** Reads a thread record and marks the blocks it holds as cached in their slabs. */
function threadSnapshot(
  space: AddressSpace,
  map: number,
  record: number,
  slot: number,
  slabs: Map<number, SlabSnapshot>,
): ThreadSnapshot {
  const u32 = space.u32;
  const rec = record >>> 2;
  const classes: ThreadClassSnapshot[] = [];
  let cachedBlocks = 0;
  let cachedBytes = 0;
  for (const c of SIZE_CLASSES) {
    const at = rec + CLASS_OFFSETS[c.index];
    const slab = u32[at + SLAB];
    const magazineBlocks = Math.min(u32[at + COUNT], c.magazine);
    for (let k = 0; k < magazineBlocks; k++) markCached(u32[at + ITEMS + k], c);
    let claimedWordBlocks = 0;
    for (let bits = u32[at + BITS]; bits !== 0; bits &= bits - 1) {
      claimedWordBlocks++;
      markCached(claimedBlock(u32, at, c, lowestBit(bits)), c);
    }
    if (magazineBlocks + claimedWordBlocks === 0 && slab === 0) continue;
    classes.push({ size: c.size, magazineBlocks, claimedWordBlocks, slab });
    cachedBlocks += magazineBlocks + claimedWordBlocks;
    cachedBytes += (magazineBlocks + claimedWordBlocks) * c.size;
  }
  const medium = mediumCached(u32, rec);
  cachedBlocks += medium.blocks;
  cachedBytes += medium.units * UNIT;
  return { slot, cachedBlocks, cachedBytes, classes };

  // A cached pointer finds its slab through the page map; one that does not (read mid-update) is skipped.
  function markCached(ptr: number, c: SizeClass): void {
    const e = entryIndex(map, ptr);
    const slab = slabs.get(u32[e] - KIND_SLAB);
    const index = slab && slab.classIndex === c.index ? blockIndex(ptr, slab.base, c) : -1;
    if (slab && index >= 0 && slab.blocks[index] === BLOCK_LIVE) slab.blocks[index] = BLOCK_CACHED;
  }
}
