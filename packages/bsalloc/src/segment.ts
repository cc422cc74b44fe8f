/**
 * A segment: {@link SEGMENT_BYTES} mapped from the address space, aligned to its size, cut into chunks of one
 * class. Its header (in the first chunks) names the class and holds two bitmaps that are the only truth about
 * each chunk, changed by single-word atomics:
 *
 * ```
 *  segment (128 KiB, 128 KiB-aligned)
 *  +--------------------------------------------------+----------+----------+-- ... --+
 *  | header                                           | chunk    | chunk    |         |
 *  |  +0  magic 'BSSG'        +16 chunk count         | first    | first+1  |         |
 *  |  +4  owner (root ptr)    +20 first chunk index   |          |          |         |
 *  |  +8  class               +24 free count          |          |          |         |
 *  |  +12 next segment        +28 scan hint (word)    |          |          |         |
 *  |  +64 used bitmap  (1 bit per chunk)              |          |          |         |
 *  |  +.. live bitmap  (1 bit per chunk)              |          |          |         |
 *  |  +.. align log2   (1 byte per chunk)             |          |          |         |
 *  +--------------------------------------------------+----------+----------+-- ... --+
 *  ^ base                                             ^ base + first * chunk size
 * ```
 *
 * A chunk's two bits give its state:
 *
 * | used | live | state                                                   |
 * | ---- | ---- | ------------------------------------------------------- |
 * | 0    | 0    | free in the segment: counted by the free count          |
 * | 1    | 1    | live: handed out                                        |
 * | 1    | 0    | cached (in a cache slot), or in transit between states  |
 *
 * Chunks under the header, and bits past the chunk count, are used and never live.
 *
 * Free count invariant: `free count + reservations in progress <= number of clear used bits`. A free clears the
 * used bit before it increments the count; an allocation reserves (decrements the count) before it sets a used
 * bit. So a reservation always has a clear bit to find. A worker killed between the two steps leaves the count
 * one lower than it could be: one chunk hidden, never a chunk handed out twice.
 *
 * @module
 */
import { claimLowestClearBit } from "@allocators/object-alloc";
import { CHUNK_SIZES, CLASS_COUNT, SEGMENT_BYTES } from "./size-classes.js";

/** 'BSSG' */
export const SEGMENT_MAGIC = 0x42535347;

const MAGIC = 0;
const OWNER = 1;
const CLASS = 2;
const NEXT = 3;
const COUNT = 4;
const FIRST = 5;
const FREE = 6;
const HINT = 7;
/** Byte offset of the used bitmap. */
const BITMAPS = 64;

/** Per class: chunks per segment, bitmap words, byte offsets of the live bitmap and align bytes, first chunk. */
const CHUNK_COUNT: number[] = [];
const WORDS: number[] = [];
const LIVE_OFFSET: number[] = [];
const ALIGN_OFFSET: number[] = [];
const FIRST_CHUNK: number[] = [];
for (let cls = 0; cls < CLASS_COUNT; cls++) {
  const size = CHUNK_SIZES[cls];
  const count = SEGMENT_BYTES / size;
  const words = Math.ceil(count / 32);
  CHUNK_COUNT.push(count);
  WORDS.push(words);
  LIVE_OFFSET.push(BITMAPS + words * 4);
  ALIGN_OFFSET.push(BITMAPS + 2 * words * 4);
  FIRST_CHUNK.push(Math.ceil((BITMAPS + 2 * words * 4 + count) / size));
}

/** Chunks of class `cls` that a segment hands out (its count minus those under the header). */
export function usableChunks(cls: number): number {
  return CHUNK_COUNT[cls] - FIRST_CHUNK[cls];
}

/**
 * Writes the header of the freshly mapped (zeroed) segment `seg` for class `cls`, with its first usable chunk
 * already live for the caller (requested alignment `alignLog`). Returns that chunk. Plain writes: the segment
 * is published afterwards by an atomic operation, which orders them before any reader.
 */
export function initSegment(
  i32: Int32Array,
  u8: Uint8Array,
  seg: number,
  cls: number,
  owner: number,
  alignLog: number,
): number {
  const h = seg >>> 2;
  const count = CHUNK_COUNT[cls];
  const first = FIRST_CHUNK[cls];
  i32[h + MAGIC] = SEGMENT_MAGIC;
  i32[h + OWNER] = owner | 0;
  i32[h + CLASS] = cls;
  i32[h + COUNT] = count;
  i32[h + FIRST] = first;
  const used = (seg + BITMAPS) >>> 2;
  // Header chunks, the caller's chunk and the bits past the count are used: the scan never finds them.
  for (let bit = 0; bit < WORDS[cls] * 32; bit++) {
    if (bit <= first || bit >= count) i32[used + (bit >>> 5)] |= 1 << (bit & 31);
  }
  i32[((seg + LIVE_OFFSET[cls]) >>> 2) + (first >>> 5)] |= 1 << (first & 31);
  u8[seg + ALIGN_OFFSET[cls] + first] = alignLog;
  i32[h + FREE] = count - first - 1;
  return seg + first * CHUNK_SIZES[cls];
}

/** The segment's link in its class list (written once, before the segment is published). */
export function nextSegment(i32: Int32Array, seg: number): number {
  return Atomics.load(i32, (seg >>> 2) + NEXT) >>> 0;
}

/** Sets the link of a not yet published segment. */
export function setNextSegment(i32: Int32Array, seg: number, next: number): void {
  Atomics.store(i32, (seg >>> 2) + NEXT, next | 0);
}

/**
 * Takes one free chunk of `seg` (class `cls`) and makes it live, or returns 0 when the segment has none.
 *
 * Order: reserve (decrement the free count by CAS, never below 0), then set a clear used bit by CAS (a
 * reservation guarantees one exists; the scan retries until it wins one), then set the live bit.
 */
export function takeFromSegment(
  i32: Int32Array,
  u8: Uint8Array,
  seg: number,
  cls: number,
  alignLog: number,
): number {
  const h = seg >>> 2;
  let free = Atomics.load(i32, h + FREE);
  for (;;) {
    if (free <= 0) return 0;
    const seen = Atomics.compareExchange(i32, h + FREE, free, free - 1);
    if (seen === free) break;
    free = seen;
  }
  const index = claimUsedBit(i32, seg, cls);
  Atomics.or(i32, ((seg + LIVE_OFFSET[cls]) >>> 2) + (index >>> 5), 1 << (index & 31));
  u8[seg + ALIGN_OFFSET[cls] + index] = alignLog;
  return seg + index * CHUNK_SIZES[cls];
}

/** Sets one clear used bit, starting at the hint word; the caller holds a reservation, so one exists. */
function claimUsedBit(i32: Int32Array, seg: number, cls: number): number {
  const words = WORDS[cls];
  const used = (seg + BITMAPS) >>> 2;
  const start = Atomics.load(i32, (seg >>> 2) + HINT);
  for (let k = 0; ; k++) {
    const w = (start + k) % words;
    const bit = claimLowestClearBit(i32, used + w);
    if (bit >= 0) {
      if (w !== start) Atomics.store(i32, (seg >>> 2) + HINT, w);
      return w * 32 + bit;
    }
  }
}

/** Makes the cached chunk `index` live again (it left a cache slot, its used bit is still set). */
export function reviveChunk(
  i32: Int32Array,
  u8: Uint8Array,
  seg: number,
  cls: number,
  index: number,
  alignLog: number,
): void {
  Atomics.or(i32, ((seg + LIVE_OFFSET[cls]) >>> 2) + (index >>> 5), 1 << (index & 31));
  u8[seg + ALIGN_OFFSET[cls] + index] = alignLog;
}

/**
 * Clears the live bit of chunk `index`; false, with nothing changed, when it was not live (a double free or a
 * chunk never handed out). One atomic `and`: of two racing frees of one chunk, exactly one sees the bit set.
 */
export function retireChunk(i32: Int32Array, seg: number, cls: number, index: number): boolean {
  const bit = 1 << (index & 31);
  return (Atomics.and(i32, ((seg + LIVE_OFFSET[cls]) >>> 2) + (index >>> 5), ~bit) & bit) !== 0;
}

/** Returns the retired chunk `index` to its segment: clear its used bit, then count it free (see the invariant). */
export function releaseChunk(i32: Int32Array, seg: number, index: number): void {
  const w = index >>> 5;
  Atomics.and(i32, ((seg + BITMAPS) >>> 2) + w, ~(1 << (index & 31)));
  Atomics.store(i32, (seg >>> 2) + HINT, w);
  Atomics.add(i32, (seg >>> 2) + FREE, 1);
}

/** Records the alignment requested for the live chunk `index` (kept by `realloc`). */
export function setChunkAlign(
  u8: Uint8Array,
  seg: number,
  cls: number,
  index: number,
  alignLog: number,
): void {
  u8[seg + ALIGN_OFFSET[cls] + index] = alignLog;
}

/** True when chunk `index` is live. */
export function isLiveChunk(i32: Int32Array, seg: number, cls: number, index: number): boolean {
  return (Atomics.load(i32, ((seg + LIVE_OFFSET[cls]) >>> 2) + (index >>> 5)) & (1 << (index & 31))) !== 0;
}

/** True when chunk `index` is used (live, cached or in transit). */
export function isUsedChunk(i32: Int32Array, seg: number, index: number): boolean {
  return (Atomics.load(i32, ((seg + BITMAPS) >>> 2) + (index >>> 5)) & (1 << (index & 31))) !== 0;
}

/** The alignment that was requested for the live chunk `index`. */
export function chunkAlign(u8: Uint8Array, seg: number, cls: number, index: number): number {
  return 2 ** u8[seg + ALIGN_OFFSET[cls] + index];
}

/** The class of the segment headed at `seg` if it is a segment of the allocator `owner`, else -1. */
export function segmentClass(i32: Int32Array, seg: number, owner: number): number {
  const h = seg >>> 2;
  if (i32[h + MAGIC] !== SEGMENT_MAGIC || i32[h + OWNER] !== (owner | 0)) return -1;
  const cls = i32[h + CLASS];
  return cls >= 0 && cls < CLASS_COUNT ? cls : -1;
}

/** The index of the chunk at `ptr` in segment `seg` of class `cls`, or -1 when `ptr` is not a chunk start. */
export function chunkIndex(seg: number, cls: number, ptr: number): number {
  const offset = ptr - seg;
  const size = CHUNK_SIZES[cls];
  if (offset % size !== 0) return -1;
  const index = offset / size;
  return index >= FIRST_CHUNK[cls] && index < CHUNK_COUNT[cls] ? index : -1;
}

/** The counts of a segment's chunks, for stats and checks: live, used but not live, free bits, free count. */
export function censusOf(i32: Int32Array, seg: number, cls: number): SegmentCensus {
  const census = {
    live: 0,
    notLive: 0,
    clear: 0,
    freeCount: Atomics.load(i32, (seg >>> 2) + FREE),
    liveButUnused: 0,
  };
  for (let index = FIRST_CHUNK[cls]; index < CHUNK_COUNT[cls]; index++) {
    const used = isUsedChunk(i32, seg, index);
    const live = isLiveChunk(i32, seg, cls, index);
    if (live && !used) census.liveButUnused++;
    else if (live) census.live++;
    else if (used) census.notLive++;
    else census.clear++;
  }
  return census;
}

/** What {@link censusOf} counts in one segment. */
export interface SegmentCensus {
  /** Live chunks. */
  live: number;
  /** Used chunks that are not live: cached or in transit. */
  notLive: number;
  /** Chunks whose used bit is clear. */
  clear: number;
  /** The segment's free count. */
  freeCount: number;
  /** Chunks live without being used: never valid. */
  liveButUnused: number;
}
