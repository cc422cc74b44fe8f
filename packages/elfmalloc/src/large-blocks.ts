/**
 * Large blocks: requests above the largest class (or with an alignment above a granule), mapped whole from the
 * address space in 16 KiB granules, aligned to 16 KiB or more, and described only by the page map (no header):
 *
 * ```
 * page map, granule g of a large block of n granules at `base`:
 *   [2g] = base | KIND_LARGE     [2g + 1] = n        (every granule of the block; KIND_CACHED while parked)
 * ```
 *
 * Freed blocks of at most {@link LARGE_CACHE_MAX} are parked in mmap-alloc's `RunCache`, over the root's
 * 8 slots, and reused for requests of half their size or more: reusing a parked block costs no call into the
 * address space's lock. The page map marks a parked block KIND_CACHED before its slot publishes it, so a
 * second free of it is rejected; the root counts the granules parked, which bounds the cache. Blocks are
 * mapped without zeroing (`calloc` zeroes what it hands out), so the pages of runs the address space freed
 * earlier cost nothing to reuse.
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { alignUp, NULL, type Ptr } from "@allocators/object-alloc";
import {
  LARGE_CACHE,
  LARGE_CACHE_SLOTS,
  R_CACHED_GRANULES,
  R_LARGE_BLOCKS,
  R_LARGE_CACHE,
  R_LARGE_GRANULES,
} from "./heap-root.js";
import { clearEntries, entryIndex, GRANULE, KIND_CACHED, KIND_LARGE, setEntries } from "./page-map.js";

/** The largest block the cache keeps: beyond, parking would hold too much memory back. */
const LARGE_CACHE_MAX = 16 << 20;
/** The cache may always hold this many granules (8 MiB), whatever the live large bytes: a program that frees
 * and allocates again one buffer of up to 8 MiB keeps hitting it. */
const CACHE_FLOOR_GRANULES = (8 << 20) / GRANULE;

/** The large blocks of one heap, seen from one handle. Views come from the address space at each call. */
export class LargeBlocks {
  readonly #space: AddressSpace;
  /** i32 index of the heap root, byte offset of the page map. */
  readonly #r: number;
  readonly #map: number;

  constructor(space: AddressSpace, root: number, map: number) {
    this.#space = space;
    this.#r = root >>> 2;
    this.#map = map;
  }

  /**
   * A block of at least `size` bytes aligned to `align` (at least a granule): a parked block of the right size,
   * or a new mapping; 0 when the address space has no room.
   */
  alloc(size: number, align: number): Ptr {
    const bytes = alignUp(Math.max(size, 1), GRANULE);
    const alignment = Math.max(align, GRANULE);
    let base = alignment === GRANULE ? this.#takeCached(bytes) : NULL;
    const granules = base === NULL ? bytes / GRANULE : this.#cachedLength(base);
    if (base === NULL) base = this.#space.map(bytes, alignment, 0, false);
    if (base === NULL) return NULL;
    const i32 = this.#space.i32;
    setEntries(this.#space.u32, this.#map, base, granules * GRANULE, KIND_LARGE);
    Atomics.add(i32, this.#r + R_LARGE_GRANULES, granules);
    Atomics.add(i32, this.#r + R_LARGE_BLOCKS, 1);
    return base;
  }

  /**
   * Frees the large block at `ptr` of `bytes`: into the cache when it is at most {@link LARGE_CACHE_MAX} and a
   * slot is free, else back to the address space.
   */
  free(ptr: Ptr, bytes: number): void {
    const i32 = this.#space.i32;
    const granules = bytes / GRANULE;
    Atomics.sub(i32, this.#r + R_LARGE_GRANULES, granules);
    Atomics.sub(i32, this.#r + R_LARGE_BLOCKS, 1);
    if (bytes <= LARGE_CACHE_MAX && this.#roomInCache(i32, granules)) {
      setEntries(this.#space.u32, this.#map, ptr, bytes, KIND_CACHED);
      Atomics.add(i32, this.#r + R_CACHED_GRANULES, granules);
      if (LARGE_CACHE.offer(i32, this.#r + R_LARGE_CACHE, ptr, bytes) === 0) return;
      Atomics.sub(i32, this.#r + R_CACHED_GRANULES, granules);
    }
    clearEntries(this.#space.u32, this.#map, ptr, bytes);
    this.#space.unmap(ptr, bytes);
  }

  /**
   * Whether `granules` more fit the cache's bound: an eighth of the live large blocks' granules, or 8 MiB. The
   * cache saves a trip through the address space's lock, not memory, so it must not hold much of it: with 8
   * slots of up to 16 MiB and no bound, 16 live blocks of 64 KiB-4 MiB replaced at random peaked at 97 MiB
   * for 51 MiB live (73 MiB with no cache at all).
   */
  #roomInCache(i32: Int32Array, granules: number): boolean {
    const cached = Atomics.load(i32, this.#r + R_CACHED_GRANULES);
    const live = Atomics.load(i32, this.#r + R_LARGE_GRANULES);
    return (cached + granules) * 8 <= Math.max(live, CACHE_FLOOR_GRANULES * 8);
  }

  /**
   * Grows or shrinks the block at `ptr` through the address space (in place when the pages allow), or 0 (the
   * block stays as it was). The block's entries are cleared before the call: the address space frees the pages
   * a shrink or a move gives up before it returns, and another worker may map them and write its own entries at
   * once, which a clear after the call would wipe. Only this block's owner reads its entries meanwhile.
   */
  remap(ptr: Ptr, usable: number, size: number): Ptr {
    const bytes = alignUp(size, GRANULE);
    clearEntries(this.#space.u32, this.#map, ptr, usable);
    const moved = this.#space.remap(ptr, usable, bytes);
    const u32 = this.#space.u32;
    if (moved === NULL) {
      setEntries(u32, this.#map, ptr, usable, KIND_LARGE);
      return NULL;
    }
    setEntries(u32, this.#map, moved, bytes, KIND_LARGE);
    Atomics.add(this.#space.i32, this.#r + R_LARGE_GRANULES, (bytes - usable) / GRANULE);
    return moved;
  }

  /** Gives every parked block back to the address space; true if any was. */
  flushCache(): boolean {
    const i32 = this.#space.i32;
    let any = false;
    for (let slot = 0; slot < LARGE_CACHE_SLOTS; slot++) {
      const base = LARGE_CACHE.empty(i32, this.#r + R_LARGE_CACHE, slot);
      if (base === 0) continue;
      Atomics.sub(i32, this.#r + R_CACHED_GRANULES, this.#cachedLength(base));
      this.#unmapCached(base);
      any = true;
    }
    return any;
  }

  /**
   * Takes a parked block of at least `bytes` and at most twice that (a larger one would waste more than a fresh
   * mapping), or returns 0.
   */
  #takeCached(bytes: number): Ptr {
    const i32 = this.#space.i32;
    for (;;) {
      const taken = LARGE_CACHE.take(i32, this.#r + R_LARGE_CACHE, bytes);
      if (taken === 0) return NULL;
      const base = Math.abs(taken);
      Atomics.sub(i32, this.#r + R_CACHED_GRANULES, this.#cachedLength(base));
      if (taken > 0) return base;
      this.#unmapCached(base); // changed in the cache while it was being taken: no longer fits
    }
  }

  /** The length in granules of the parked block at `base` (0 if it is not one). */
  #cachedLength(base: Ptr): number {
    const u32 = this.#space.u32;
    const e = entryIndex(this.#map, base);
    return u32[e] === base + KIND_CACHED ? u32[e + 1] : 0;
  }

  #unmapCached(base: Ptr): void {
    const bytes = this.#cachedLength(base) * GRANULE;
    clearEntries(this.#space.u32, this.#map, base, bytes);
    this.#space.unmap(base, bytes);
  }
}
