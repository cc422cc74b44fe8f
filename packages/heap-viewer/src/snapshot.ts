/**
 * A picture of an elfmalloc heap, read from the heap's own memory: every slab with the state of each block,
 * every thread's caches, and the counters of `heap.stats()`.
 *
 * elfmalloc has no public slab-level API yet, so this module reads the layout its design note documents
 * (info/elfmalloc.md, layout version 1) from the heap's buffer, using only what the package exports
 * (`SIZE_CLASSES`, `GRANULE`, `CLASS_COUNT`, `share().root`). The offsets below mirror elfmalloc's
 * heap-root.ts, page-map.ts, slab.ts and thread-cache.ts; the version check refuses any other layout.
 *
 * The walk reads memory other workers are writing, with plain loads: a snapshot is a sketch of one moment,
 * not a consistent cut (a block may be counted in two states, or a slab just changing class be skipped). It is
 * for drawing, never for decisions.
 *
 * @module
 */
import {
  CLASS_COUNT,
  type ElfMalloc,
  type ElfMallocStats,
  GRANULE,
  SIZE_CLASSES,
} from "@allocators/elfmalloc";

/** Block states, as drawn. */
export const FREE = 0;
export const LIVE = 1;
export const HELD = 2;

/** One slab: its class and, per block, {@link FREE}, {@link LIVE} or {@link HELD}. */
export interface SlabPicture {
  base: number;
  classIndex: number;
  /** Block size in bytes. */
  size: number;
  slabBytes: number;
  /** The thread slot that has claimed the slab (allocates from it), or -1. */
  owner: number;
  /** Per block: FREE (in the slab's free set), LIVE (handed out), HELD (free, in some thread's cache). */
  blocks: Uint8Array;
  live: number;
  free: number;
  held: number;
}

/** One attached thread: what its caches hold. */
export interface ThreadPicture {
  slot: number;
  /** Free blocks in its magazines and claimed words, and their bytes. */
  cachedBlocks: number;
  cachedBytes: number;
  /** Classes whose slab it has claimed. */
  claimedSlabs: number;
}

/** A large block (above 128 KiB): mapped whole, described by the page map only. */
export interface LargePicture {
  base: number;
  bytes: number;
}

/** What {@link snapshot} returns. */
export interface HeapPicture {
  stats: ElfMallocStats;
  /** Slabs in use, by class then address; parked (pooled) slabs are counted in `pooledSlabs`. */
  slabs: SlabPicture[];
  pooledSlabs: number;
  large: LargePicture[];
  threads: ThreadPicture[];
}

// heap-root.ts (i32 words from the root).
const R_MAGIC = 0;
const R_LAYOUT = 1;
const R_FLAGS = 2;
const R_MAX_THREADS = 3;
const R_PAGE_MAP = 4;
const R_THREADS = 13 + 2 * CLASS_COUNT;
const MAGIC = 0x454c464d;
const LAYOUT = (CLASS_COUNT << 8) | 1;
const FLAG_CHECKED = 1;
// page-map.ts: [2g] base | kind, [2g + 1] class index or granules.
const KIND_SLAB = 1;
const KIND_LARGE = 2;
// slab.ts: the 64-byte header at the slab's end; free bits then live bits just before it.
const SLAB_HEADER_BYTES = 64;
const H_CLASS = 0;
const H_RC = 1;
const H_OWNER = 3;
const CLAIMED = 1 << 30;
const POOLED = -1;
// thread-cache.ts: per class `slab | nextWord | bits | count | magazine[capacity]`.
const T_SLAB = 0;
const T_BITS = 2;
const T_COUNT = 3;
const T_ITEMS = 4;
const SLOT_LIVE = 2;
const SLOT_CLOSING = 3;
const CLASS_OFFSETS = (() => {
  const offsets: number[] = [];
  let at = 0;
  for (const c of SIZE_CLASSES) {
    offsets.push(at);
    at += T_ITEMS + c.magazine;
  }
  return offsets;
})();

/**
 * Reads the heap of `heap` (a handle of this thread; `root` from its descriptor). The heap must be in checked
 * mode (`ElfMalloc.create({ checked: true })`): only then do slabs keep a live bit per block, which is what
 * tells a live block from a free one held in a thread's cache.
 * @throws RangeError when `root` is not an elfmalloc heap of the layout this module reads, or not checked.
 */
export function snapshot(heap: ElfMalloc, root: number): HeapPicture {
  const stats = heap.stats();
  const buffer = heap.buffer;
  const i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  const u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  const r = root >>> 2;
  if (i32[r + R_MAGIC] !== MAGIC || i32[r + R_LAYOUT] !== LAYOUT) {
    throw new RangeError(`root ${root} is not an elfmalloc heap of layout ${LAYOUT}`);
  }
  if ((i32[r + R_FLAGS] & FLAG_CHECKED) === 0) {
    throw new RangeError("the heap must be in checked mode (live bits per block)");
  }
  const map = i32[r + R_PAGE_MAP] >>> 2;
  const granules = Math.floor(buffer.byteLength / GRANULE);
  const slabs: SlabPicture[] = [];
  const large: LargePicture[] = [];
  let pooledSlabs = 0;
  for (let g = 0; g < granules; g++) {
    const entry = u32[map + 2 * g];
    const base = entry & ~0xffff;
    // Only the first granule of a slab or block describes it; the others repeat the same entry.
    if (base !== g * GRANULE) continue;
    const kind = entry & 3;
    if (kind === KIND_LARGE) large.push({ base, bytes: u32[map + 2 * g + 1] * GRANULE });
    if (kind !== KIND_SLAB) continue;
    const c = SIZE_CLASSES[u32[map + 2 * g + 1]];
    if (!c) continue;
    const header = (base + c.slabBytes - SLAB_HEADER_BYTES) >>> 2;
    if (i32[header + H_CLASS] === POOLED) {
      pooledSlabs++;
      continue;
    }
    if (i32[header + H_CLASS] !== c.index) continue; // being re-formatted right now
    slabs.push(slabPicture(i32, base, c, header));
  }
  slabs.sort((a, b) => a.classIndex - b.classIndex || a.base - b.base);
  return { stats, slabs, pooledSlabs, large, threads: threadPictures(i32, u32, r) };
}

function slabPicture(
  i32: Int32Array,
  base: number,
  c: (typeof SIZE_CLASSES)[number],
  header: number,
): SlabPicture {
  const freeBits = (base + c.slabBytes - SLAB_HEADER_BYTES - c.words * 8) >>> 2;
  const liveBits = freeBits + c.words;
  const blocks = new Uint8Array(c.objects);
  let live = 0;
  let free = 0;
  for (let i = 0; i < c.objects; i++) {
    const bit = 1 << (i & 31);
    if (i32[liveBits + (i >>> 5)] & bit) {
      blocks[i] = LIVE;
      live++;
    } else if (i32[freeBits + (i >>> 5)] & bit) {
      blocks[i] = FREE;
      free++;
    } else {
      blocks[i] = HELD;
    }
  }
  const claimed = (i32[header + H_RC] & CLAIMED) !== 0;
  return {
    base,
    classIndex: c.index,
    size: c.size,
    slabBytes: c.slabBytes,
    owner: claimed ? i32[header + H_OWNER] : -1,
    blocks,
    live,
    free,
    held: c.objects - live - free,
  };
}

function threadPictures(i32: Int32Array, u32: Uint32Array, r: number): ThreadPicture[] {
  const threads: ThreadPicture[] = [];
  for (let slot = 0; slot < i32[r + R_MAX_THREADS]; slot++) {
    const state = i32[r + R_THREADS + 2 * slot];
    if (state !== SLOT_LIVE && state !== SLOT_CLOSING) continue;
    const record = u32[r + R_THREADS + 2 * slot + 1] >>> 2;
    let cachedBlocks = 0;
    let cachedBytes = 0;
    let claimedSlabs = 0;
    for (const c of SIZE_CLASSES) {
      const at = record + CLASS_OFFSETS[c.index];
      const blocks = u32[at + T_COUNT] + popcount(u32[at + T_BITS]);
      cachedBlocks += blocks;
      cachedBytes += blocks * c.size;
      if (u32[at + T_SLAB] !== 0) claimedSlabs++;
    }
    threads.push({ slot, cachedBlocks, cachedBytes, claimedSlabs });
  }
  return threads;
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
