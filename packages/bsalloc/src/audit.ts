/**
 * Stats and checks: walks of the shared state, for tests, tools and leak hunting (never on a hot path).
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import {
  headerOf,
  isLargeHeader,
  isLiveLarge,
  LARGE_CACHE,
  LARGE_CACHE_SLOTS,
  largeMappedBytes,
} from "./large-block.js";
import { cacheIndex, headIndex, ROOT, ROOT_MAGIC } from "./root.js";
import {
  censusOf,
  chunkIndex,
  isLiveChunk,
  isUsedChunk,
  nextSegment,
  segmentClass,
  usableChunks,
} from "./segment.js";
import { CHUNK_SIZES, CLASS_COUNT, SEGMENT_BYTES } from "./size-classes.js";

/** The chunks of one size class. */
export interface ClassStats {
  /** The bytes of each chunk. */
  chunkSize: number;
  /** Segments mapped for the class. */
  segments: number;
  /** Chunks those segments hold. */
  chunks: number;
  /** Chunks handed out and not freed. */
  live: number;
  /** Freed chunks waiting in the class cache. */
  cached: number;
  /** Freed chunks back in their segment, findable by allocation. */
  free: number;
  /**
   * Chunks neither live nor findable: in transit in a running call, or lost by a terminated worker (at most
   * one per worker killed).
   */
  lost: number;
}

/** What {@link BsAlloc.stats} returns. */
export interface BsAllocStats {
  /** One entry per size class, smallest first. */
  classes: ClassStats[];
  /** Live large blocks. */
  largeBlocks: number;
  /** Bytes mapped for the live large blocks. */
  largeBytes: number;
  /** Freed large blocks kept mapped in the large cache. */
  cachedLargeBlocks: number;
  /** Bytes mapped for them. */
  cachedLargeBytes: number;
  /** Every byte the allocator holds mapped: its root, its segments and its large blocks. */
  mappedBytes: number;
}

/** Counts every class's segments and chunks and the large blocks. */
export function collectStats(space: AddressSpace, root: number): BsAllocStats {
  const i32 = space.i32;
  const r = root >>> 2;
  const slots = i32[r + ROOT.CACHE_SLOTS];
  const classes: ClassStats[] = [];
  let mappedBytes = i32[r + ROOT.BYTES] >>> 0;
  for (let cls = 0; cls < CLASS_COUNT; cls++) {
    const stats = {
      chunkSize: CHUNK_SIZES[cls],
      segments: 0,
      chunks: 0,
      live: 0,
      cached: 0,
      free: 0,
      lost: 0,
    };
    let notLive = 0;
    let clear = 0;
    for (const seg of segmentsOf(space, root, cls)) {
      const census = censusOf(i32, seg, cls);
      stats.segments++;
      stats.chunks += usableChunks(cls);
      stats.live += census.live + census.liveButUnused;
      stats.free += Math.max(0, census.freeCount);
      notLive += census.notLive;
      clear += census.clear;
    }
    const slots0 = r + cacheIndex(cls, slots);
    for (let slot = 0; slot < slots; slot++) if (Atomics.load(i32, slots0 + slot) !== 0) stats.cached++;
    stats.lost = Math.max(0, notLive - stats.cached) + Math.max(0, clear - stats.free);
    mappedBytes += stats.segments * SEGMENT_BYTES;
    classes.push(stats);
  }
  const largeBytes = Atomics.load(i32, r + ROOT.LARGE_BYTES) >>> 0;
  let cachedLargeBlocks = 0;
  let cachedLargeBytes = 0;
  for (let slot = 0; slot < LARGE_CACHE_SLOTS; slot++) {
    const ptr = LARGE_CACHE.runAt(i32, r + ROOT.LARGE_CACHE, slot);
    if (ptr === 0) continue;
    cachedLargeBlocks++;
    cachedLargeBytes += largeMappedBytes(i32, headerOf(ptr));
  }
  return {
    classes,
    largeBlocks: Atomics.load(i32, r + ROOT.LARGE_BLOCKS),
    largeBytes,
    cachedLargeBlocks,
    cachedLargeBytes,
    mappedBytes: mappedBytes + largeBytes + cachedLargeBytes,
  };
}

/** The broken invariants of the allocator at `root`: root, segment lists, bitmaps, free counts and caches. */
export function checkHeap(space: AddressSpace, root: number): string[] {
  const i32 = space.i32;
  const r = root >>> 2;
  if (Atomics.load(i32, r + ROOT.MAGIC) !== ROOT_MAGIC) return [`no bsalloc root at ${root}`];
  const problems: string[] = [];
  const slots = i32[r + ROOT.CACHE_SLOTS];
  for (let cls = 0; cls < CLASS_COUNT; cls++) {
    checkSegments(space, root, cls, problems);
    checkCache(i32, root, cls, r + cacheIndex(cls, slots), slots, problems);
  }
  if (Atomics.load(i32, r + ROOT.LARGE_BLOCKS) < 0) problems.push("negative count of large blocks");
  checkLargeCache(i32, root, problems);
  return problems;
}

function checkLargeCache(i32: Int32Array, root: number, problems: string[]): void {
  const seen = new Set<number>();
  for (let slot = 0; slot < LARGE_CACHE_SLOTS; slot++) {
    const ptr = LARGE_CACHE.runAt(i32, (root >>> 2) + ROOT.LARGE_CACHE, slot);
    if (ptr === 0) continue;
    if (seen.has(ptr)) problems.push(`large block ${ptr} cached twice`);
    seen.add(ptr);
    if (!isLargeHeader(i32, headerOf(ptr), root, ptr))
      problems.push(`large cache slot ${slot} holds ${ptr}, not a large block`);
    else if (isLiveLarge(i32, headerOf(ptr))) problems.push(`cached large block ${ptr} is live`);
  }
}

function checkSegments(space: AddressSpace, root: number, cls: number, problems: string[]): void {
  const i32 = space.i32;
  const seen = new Set<number>();
  for (const seg of segmentsOf(space, root, cls)) {
    if (seen.has(seg)) {
      problems.push(`class ${cls}: the segment list loops at ${seg}`);
      break;
    }
    seen.add(seg);
    if (seg % SEGMENT_BYTES !== 0) problems.push(`class ${cls}: segment ${seg} is not aligned`);
    if (segmentClass(i32, seg, root) !== cls) {
      problems.push(`class ${cls}: segment ${seg} has a bad header`);
      break;
    }
    const census = censusOf(i32, seg, cls);
    if (census.liveButUnused > 0)
      problems.push(`segment ${seg}: ${census.liveButUnused} live chunks not marked used`);
    if (census.freeCount < 0) problems.push(`segment ${seg}: negative free count ${census.freeCount}`);
    if (census.freeCount > census.clear) {
      problems.push(`segment ${seg}: free count ${census.freeCount} exceeds the ${census.clear} free chunks`);
    }
  }
}

function checkCache(
  i32: Int32Array,
  root: number,
  cls: number,
  slots0: number,
  slots: number,
  problems: string[],
): void {
  const seen = new Set<number>();
  for (let slot = 0; slot < slots; slot++) {
    const ptr = Atomics.load(i32, slots0 + slot) >>> 0;
    if (ptr === 0) continue;
    if (seen.has(ptr)) problems.push(`class ${cls}: chunk ${ptr} cached twice`);
    seen.add(ptr);
    const seg = headerOf(ptr);
    const index = segmentClass(i32, seg, root) === cls ? chunkIndex(seg, cls, ptr) : -1;
    if (index < 0) problems.push(`class ${cls}: cache slot ${slot} holds ${ptr}, not a chunk of the class`);
    else if (!isUsedChunk(i32, seg, index) || isLiveChunk(i32, seg, cls, index)) {
      problems.push(`class ${cls}: cached chunk ${ptr} is live or free in its segment`);
    }
  }
}

/**
 * The segments of class `cls`, newest first. Stops after as many segments as the space can hold, so a corrupt
 * list that loops ends (and {@link checkHeap} reports it).
 */
function* segmentsOf(space: AddressSpace, root: number, cls: number): Generator<number> {
  const i32 = space.i32;
  const limit = Math.ceil(space.maxBytes / SEGMENT_BYTES) + 1;
  let seg = Atomics.load(i32, (root >>> 2) + headIndex(cls)) >>> 0;
  for (let n = 0; seg !== 0 && n < limit; n++) {
    yield seg;
    seg = nextSegment(i32, seg);
  }
}
