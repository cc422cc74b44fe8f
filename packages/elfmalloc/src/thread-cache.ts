/**
 * Per-thread caches, kept in the shared buffer so that another thread can reclaim them when a worker dies.
 *
 * A thread record is owned by one thread, which reads and writes it with plain typed-array accesses: no other
 * thread touches it while the owner lives. Layout, in u32 words from the record's start:
 * ```
 * class 0:  slab | nextWord | bits | limit | count | magazine[0 .. capacity0)
 * class 1:  slab | nextWord | bits | limit | count | magazine[0 .. capacity1)
 * ...
 * taken[0 .. CLASS_COUNT)        blocks of each class this thread took out of slab bit-sets minus those it
 *                                 put back (i32)
 * slabFrees                        frees this thread made into slab bit-sets (u32, wraps)
 * closed: limit 0 | count 0        a magazine that is always empty and always full (checked mode)
 * spares[4]                        empty 16 KiB slabs parked for this thread (0: none)
 * kept[8]                          partly free 16 KiB slabs this thread keeps for itself: base + class + 1
 * medium index[66]                 free lists of the thread's medium chunks (medium-index.ts)
 * chunks | chunkCount              the thread's medium chunks: a list through their headers, and its length
 * mediumBlocks | mediumUnits       medium blocks (and units) allocated from this thread's chunks minus those
 *                                 freed into them (i32; negative after adopting another thread's chunk)
 * remoteFrees                      medium blocks this thread freed into another thread's chunks (u32, wraps)
 * medium magazines, for 5..16 units (257 B to 1 KiB):  limit | count | items[4]   (each)
 * ```
 * - `limit`: the magazine's capacity, written when a thread binds the record. The fast paths of malloc and
 *   free address a class by the index of its `count` (the limit is the word before it, the items follow it);
 *   in checked mode they are given `closed` for every class, so every call takes the slow path, which checks.
 * - `slab`: the slab this thread has claimed for the class (0: none); `bits`: free blocks of word
 *   `nextWord - 1` of that slab that this thread took with one exchange and has not handed out yet.
 * - `magazine`: a stack of `count` free blocks of the class, from any slab: freed by this thread (whoever
 *   allocated them) and reused first. Items are written before `count` grows, so after a worker dies at any
 *   instant, `count` items are all valid free blocks (at worst one block in flight is lost).
 *
 * @module
 */
import { lowestBit, NULL, type Ptr } from "@allocators/object-alloc";
import type { HandleContext } from "./handle-context.js";
import { MEDIUM_MIN, nextChunk, ownerIndex } from "./medium-chunk.js";
import { INDEX_WORDS } from "./medium-index.js";
import { entryIndex, GRANULE, KIND_MASK, KIND_MEDIUM, KIND_SLAB } from "./page-map.js";
import {
  CLASS_COUNT,
  MIN_BLOCK,
  SIZE_CLASSES,
  type SizeClass,
  SLAB_SIZES,
  SMALL_LOOKUP,
} from "./size-classes.js";
import { claim, freeBitsIndex, parkSlab, slabOfClass, slabOwner } from "./slab.js";

/** Field offsets inside a class's part of a record. */
export const SLAB = 0;
export const NEXT_WORD = 1;
export const BITS = 2;
export const LIMIT = 3;
export const COUNT = 4;
export const ITEMS = 5;

/** u32 offset of each class's part of a record. */
export const CLASS_OFFSETS: Int32Array = (() => {
  const offsets = new Int32Array(CLASS_COUNT);
  let at = 0;
  for (const c of SIZE_CLASSES) {
    offsets[c.index] = at;
    at += ITEMS + c.magazine;
  }
  return offsets;
})();

const CLASSES_WORDS = CLASS_OFFSETS[CLASS_COUNT - 1] + ITEMS + SIZE_CLASSES[CLASS_COUNT - 1].magazine;
/**
 * u32 offset of the per-class counts of blocks taken out of slabs. They change only when blocks move between
 * slabs and this thread's caches, never in malloc or free from the magazine: the blocks of a class that are
 * live are the retired count plus, over threads, `taken - count - popcount(bits)` (a block freed by another
 * thread than the one that allocated it counts in both, once up and once down).
 */
export const TAKEN = CLASSES_WORDS;
/** u32 offset of the count of frees into slabs. */
export const SLAB_FREES = TAKEN + CLASS_COUNT;
/** u32 offset of the `count` of the closed magazine (its limit is the word before). */
export const CLOSED_COUNT = SLAB_FREES + 2;
/**
 * u32 offset of the thread's spare slabs: empty 16 KiB slabs it parked for itself instead of in the shared
 * page pool (0: none). A thread that empties slabs and needs new ones at once (allocating and freeing batches)
 * then cycles them without touching shared words.
 */
export const SPARES = CLOSED_COUNT + 1;
/** How many spare slabs a thread keeps: 64 KiB of 16 KiB slabs. */
export const SPARE_SLOTS = 4;
/**
 * u32 offset of the thread's kept slabs: 16 KiB slabs it last claimed, whose free blocks came back to the
 * reuse cutoff by its own frees, kept for it instead of offered in the class's shared available set (each
 * `base + class + 1`, 0: none). A thread that frees a batch and allocates it again (threadtest) then takes
 * them back without touching the set's words, which every thread's slabs share (a word covers 512 KiB).
 */
export const KEPT = SPARES + SPARE_SLOTS;
/** How many slabs a thread keeps: 128 KiB at most. */
export const KEPT_SLOTS = 8;
/** u32 offset of the thread's medium free-list index. */
export const MEDIUM_INDEX = KEPT + KEPT_SLOTS;
/** u32 offset of the first of the thread's medium chunks (byte offset, 0: none); the count follows. */
export const CHUNKS = MEDIUM_INDEX + INDEX_WORDS;
export const CHUNK_COUNT = CHUNKS + 1;
/** u32 offsets of the medium live counts. */
export const MEDIUM_BLOCKS = CHUNK_COUNT + 1;
export const MEDIUM_UNITS = MEDIUM_BLOCKS + 1;
/**
 * Medium magazines: small stacks of this thread's own medium blocks of 5 to 16 units (257 B to 1 KiB), freed by
 * it and handed out again by malloc's fast path like a class's magazine (`count` addressed the same way, the
 * limit before it, the items after). Four blocks each: up to 48 KiB held per thread, which the best fit then
 * cannot merge; enough for the sizes most often freed and allocated again (larson: 16-1000 B at random).
 */
export const MEDIUM_MAGAZINES = MEDIUM_UNITS + 2;
/** u32 offset of the count of medium blocks this thread freed into other threads' chunks. */
export const REMOTE_FREES = MEDIUM_UNITS + 1;
/** The unit counts that have a magazine, and its capacity. */
export const MAGAZINE_UNITS_MIN = 5;
export const MAGAZINE_UNITS_MAX = 16;
export const MEDIUM_MAGAZINE = 4;
const MEDIUM_MAGAZINE_WORDS = 2 + MEDIUM_MAGAZINE;
/** u32 offset of the `count` of the medium magazine for blocks of `units`. */
export function mediumCount(units: number): number {
  return MEDIUM_MAGAZINES + (units - MAGAZINE_UNITS_MIN) * MEDIUM_MAGAZINE_WORDS + 1;
}
/** Bytes of a thread record. */
export const RECORD_BYTES =
  (MEDIUM_MAGAZINES + (MAGAZINE_UNITS_MAX - MAGAZINE_UNITS_MIN + 1) * MEDIUM_MAGAZINE_WORDS) * 4;

/**
 * Opens the magazines of the record at u32 index `rec` for a thread that binds it: writes each magazine's
 * limit (0 for the medium magazines in checked mode: closed) and fills the fast paths' tables: the u32 index
 * of the `count` of each class's magazine (`byClass`), and of the magazine serving each size up to
 * `TABLE_LIMIT` by `(size + 15) >> 4` (`bySize`: a class's, or for medium sizes their unit count's). In
 * checked mode every entry of both tables is the closed magazine's.
 */
export function openMagazines(
  u32: Uint32Array,
  rec: number,
  checked: boolean,
  byClass: Int32Array,
  bySize: Int32Array,
): void {
  for (const sizeClass of SIZE_CLASSES) {
    const at = rec + CLASS_OFFSETS[sizeClass.index];
    u32[at + LIMIT] = sizeClass.magazine;
    byClass[sizeClass.index] = checked ? rec + CLOSED_COUNT : at + COUNT;
  }
  for (let units = MAGAZINE_UNITS_MIN; units <= MAGAZINE_UNITS_MAX; units++) {
    u32[rec + mediumCount(units) - 1] = checked ? 0 : MEDIUM_MAGAZINE;
  }
  for (let k = 0; k < SMALL_LOOKUP.length; k++) {
    const medium = checked ? rec + CLOSED_COUNT : rec + mediumCount((k + 3) >>> 2);
    bySize[k] = k * MIN_BLOCK >= MEDIUM_MIN ? medium : byClass[SMALL_LOOKUP[k]];
  }
}

/** Hands out the newest block of the class magazine at u32 index `at` (a class's part of a record), or 0. */
export function popMagazine(u32: Uint32Array, at: number): Ptr {
  const n = u32[at + COUNT];
  if (n > 0) {
    u32[at + COUNT] = n - 1;
    return u32[at + ITEMS + n - 1];
  }
  return NULL;
}

/** Pushes `ptr` on the class magazine at u32 index `at`, which has room. Item first, then the count. */
export function pushMagazine(u32: Uint32Array, at: number, ptr: Ptr): void {
  const n = u32[at + COUNT];
  u32[at + ITEMS + n] = ptr;
  u32[at + COUNT] = n + 1;
}

/**
 * Parks the empty 16 KiB slab at `base` among the spares of this thread (`ctx`), if a spare slot is free: no
 * shared word is touched until the thread takes it back. Marked parked before the slot names it, so that a
 * thread killed in between leaves a slab check() reports (pooled granules off by it), never one named twice.
 */
export function parkSpare(ctx: HandleContext, base: number): boolean {
  const u32 = ctx.u32;
  for (let k = 0; k < SPARE_SLOTS; k++) {
    if (u32[ctx.rec + SPARES + k] === 0) {
      parkSlab(ctx.i32, base, SLAB_SIZES[0]);
      u32[ctx.rec + SPARES + k] = base;
      return true;
    }
  }
  return false;
}

/** A spare slab of this thread (`ctx`), the last parked first, or 0. */
export function takeSpare(ctx: HandleContext): Ptr {
  const u32 = ctx.u32;
  for (let k = SPARE_SLOTS - 1; k >= 0; k--) {
    const base = u32[ctx.rec + SPARES + k];
    if (base !== 0) {
      u32[ctx.rec + SPARES + k] = 0;
      return base;
    }
  }
  return NULL;
}

/** The kept-slab entry of the slab at `base` of class index `cls`: its base and class + 1 in the low bits. */
export function keptEntry(base: number, cls: number): number {
  return base + cls + 1;
}

/** The slab base of a kept-slab entry (unsigned: a slab may lie at 2 GiB or above). */
export function keptBase(entry: number): number {
  return (entry & ~(GRANULE - 1)) >>> 0;
}

/** The size class of a kept-slab entry. */
export function keptClass(entry: number): SizeClass {
  return SIZE_CLASSES[(entry & (GRANULE - 1)) - 1];
}

/**
 * Keeps the 16 KiB slab at `base`, which this thread (`ctx`) last claimed and whose blocks its frees just
 * brought to the reuse cutoff, for this thread alone (see {@link KEPT}), if a slot is free. Being in no
 * available set, the slab is claimed by no one else; a free that empties it finds nothing to revoke and
 * leaves it here. False when it is not kept (another size, another owner, or no slot).
 */
export function keep(ctx: HandleContext, base: number, sizeClass: SizeClass): boolean {
  if (sizeClass.slabBytes !== SLAB_SIZES[0] || slabOwner(ctx.i32, base, sizeClass.slabBytes) !== ctx.slot)
    return false;
  const k = keptSlot(ctx.u32, ctx.rec, 0, -1);
  if (k >= 0) ctx.u32[k] = keptEntry(base, sizeClass.index);
  return k >= 0;
}

/** Forgets a slab this thread kept (it became empty: it goes to the pages). False if it was not kept here. */
export function unkeep(ctx: HandleContext, base: number, sizeClass: SizeClass): boolean {
  const k =
    sizeClass.slabBytes === SLAB_SIZES[0]
      ? keptSlot(ctx.u32, ctx.rec, keptEntry(base, sizeClass.index), -1)
      : -1;
  if (k >= 0) ctx.u32[k] = 0;
  return k >= 0;
}

/** A slab of `sizeClass` this thread kept, claimed again; or 0. */
export function takeKept(ctx: HandleContext, sizeClass: SizeClass): Ptr {
  const k = keptSlot(ctx.u32, ctx.rec, sizeClass.index + 1, GRANULE - 1);
  if (k < 0) return NULL;
  const base = keptBase(ctx.u32[k]);
  ctx.u32[k] = 0;
  if (!claim(ctx.i32, base, sizeClass.slabBytes)) throw new Error(`elfmalloc: kept slab ${base} was claimed`);
  return base;
}

/**
 * u32 index of the first kept-slab slot of the record at `rec` whose entry, under `mask`, is `value` (an empty
 * slot: 0 under -1; a slab of class index c: c + 1 under the granule's low bits), or -1.
 */
function keptSlot(u32: Uint32Array, rec: number, value: number, mask: number): number {
  for (let k = rec + KEPT, end = k + KEPT_SLOTS; k < end; k++) {
    if ((u32[k] & mask) >>> 0 === value) return k;
  }
  return -1;
}

/** The block that bit `b` of the claimed word stands for, in the part of class `c` at u32 index `at`. */
export function claimedBlock(u32: Uint32Array, at: number, c: SizeClass, b: number): number {
  return u32[at + SLAB] + ((u32[at + NEXT_WORD] - 1) * 32 + b) * c.size;
}

/**
 * The medium blocks in the magazines of the record at u32 index `rec`: calls `visit(ptr, units, where)` for
 * each and returns their number and units.
 */
export function mediumCached(
  u32: Uint32Array,
  rec: number,
  visit?: (ptr: number, units: number, where: string) => void,
): { blocks: number; units: number } {
  let blocks = 0;
  let units = 0;
  for (let u = MAGAZINE_UNITS_MIN; u <= MAGAZINE_UNITS_MAX; u++) {
    const count = rec + mediumCount(u);
    const n = Math.min(u32[count], u32[count - 1]);
    for (let k = 0; k < n; k++) visit?.(u32[count + 1 + k], u, `medium magazine ${u} units, item ${k}`);
    blocks += n;
    units += n * u;
  }
  return { blocks, units };
}

/** What check gathers over every thread record: slabs kept and blocks cached, each to be named once. */
export interface RecordsSeen {
  keptSlabs: Set<number>;
  cachedBlocks: Set<number>;
}

/**
 * For check: the record at byte offset `record` keeps unclaimed slabs of their class with `cutoff` free blocks
 * or more, none kept twice, and its magazines and claimed words hold blocks of their class, none cached twice
 * nor free in its slab. Takes each cached block off `handedOut[cls]`, the blocks the slabs of class `cls` have
 * handed out.
 */
export function checkRecordSlabs(
  i32: Int32Array,
  u32: Uint32Array,
  map: number,
  record: number,
  seen: RecordsSeen,
  handedOut: Float64Array,
  problems: string[],
): void {
  const rec = record >>> 2;
  for (let k = 0; k < KEPT_SLOTS; k++) {
    const entry = u32[rec + KEPT + k];
    if (entry === 0) continue;
    const base = keptBase(entry);
    const c = keptClass(entry);
    const slab = c && slabOfClass(i32, u32, map, base, c);
    if (!slab) {
      problems.push(`thread record ${record}: kept slab ${base} is not a slab of its class`);
    } else if (slab.claimed || slab.count < c.cutoff || seen.keptSlabs.has(base)) {
      problems.push(
        `thread record ${record}: kept slab ${base} is claimed, kept twice or has ${slab.count} free`,
      );
    }
    seen.keptSlabs.add(base);
  }
  for (const c of SIZE_CLASSES) {
    const at = rec + CLASS_OFFSETS[c.index];
    for (let k = 0; k < u32[at + COUNT]; k++) {
      checkCached(u32[at + ITEMS + k], c, `thread record ${record}, class ${c.size}, magazine item ${k}`);
    }
    for (let bits = u32[at + BITS]; bits !== 0; bits &= bits - 1) {
      checkCached(
        claimedBlock(u32, at, c, lowestBit(bits)),
        c,
        `thread record ${record}, class ${c.size}, claimed word`,
      );
    }
  }

  function checkCached(ptr: number, c: SizeClass, where: string): void {
    const e = entryIndex(map, ptr);
    const base = u32[e] - KIND_SLAB;
    const index = (ptr - base) / c.size;
    if (
      (u32[e] & KIND_MASK) !== KIND_SLAB ||
      u32[e + 1] !== c.index ||
      !Number.isInteger(index) ||
      index >= c.objects
    ) {
      problems.push(`${where}: ${ptr} is not a block of class ${c.size}`);
      return;
    }
    if (seen.cachedBlocks.has(ptr)) problems.push(`${where}: ${ptr} is cached twice`);
    seen.cachedBlocks.add(ptr);
    if (i32[freeBitsIndex(base, c) + (index >>> 5)] & (1 << (index & 31))) {
      problems.push(`${where}: ${ptr} is cached and also free in its slab`);
    }
    handedOut[c.index]--;
  }
}

/**
 * For check: the medium magazines of thread `slot`'s record (at byte offset `record`) hold live blocks of its
 * own chunks, each once (`live`: the live blocks of every chunk that are not pending, address -> units), and
 * its chunk list names as many chunks as its count says, all owned by it, and every chunk of `chunks` it owns.
 */
export function checkRecordMedium(
  u32: Uint32Array,
  map: number,
  slot: number,
  record: number,
  live: Map<number, number>,
  chunks: number[],
  problems: string[],
): void {
  const rec = record >>> 2;
  const cached = new Set<number>();
  mediumCached(u32, rec, (ptr, units, where) => {
    const entry = u32[entryIndex(map, ptr)];
    if (
      (entry & KIND_MASK) !== KIND_MEDIUM ||
      u32[ownerIndex(entry & ~KIND_MASK)] !== slot + 1 ||
      live.get(ptr) !== units ||
      cached.has(ptr)
    ) {
      problems.push(`thread ${slot}, ${where}: ${ptr} is not a live ${units}-unit block of its chunks, once`);
    }
    cached.add(ptr);
  });
  let listed = 0;
  for (let base = u32[rec + CHUNKS]; base !== 0 && listed <= chunks.length; base = nextChunk(u32, base)) {
    if (u32[entryIndex(map, base)] !== base + KIND_MEDIUM || u32[ownerIndex(base)] !== slot + 1) break;
    listed++;
  }
  if (listed !== u32[rec + CHUNK_COUNT]) {
    problems.push(`thread ${slot}: lists ${listed} medium chunks, counts ${u32[rec + CHUNK_COUNT]}`);
  }
  const owned = chunks.filter((base) => u32[ownerIndex(base)] === slot + 1).length;
  if (owned !== listed) problems.push(`thread ${slot}: owns ${owned} medium chunks, lists ${listed}`);
}
