/**
 * The page pools: empty slabs parked by size (16 KiB, 64 KiB, 256 KiB, 1 MiB), which small slabs and medium
 * chunks take their pages from and give them back to, so that pages cycle between classes without a trip
 * through the address space's lock.
 *
 * ```
 *                 takePage                       parkPage
 *   pool of the size ----> slab of a class ------------------> pool of the size (a BagPipe of 4 rings)
 *   or a new mapping       or medium chunk    |
 *        ^                 (64 KiB)           +-- pools over their bound, or the ring full --> unmapped
 *        +-- out of address space: unmapParked() gives every parked page back (the facade then retries)
 * ```
 * A parked page keeps its page-map entries as a slab of its size (an empty medium chunk is renamed a slab of
 * {@link POOL_CLASS_64K} before it is parked), and its header's class reads POOLED (slab.ts). The root counts
 * the granules of every slab, parked ones included (`slabGranules`), and of the parked ones
 * (`pooledGranules`); both with Atomics, as every thread parks and takes.
 *
 * @module
 */
import { BagPipe } from "@allocators/bagpipe";
import { NULL, type Ptr } from "@allocators/object-alloc";
import type { HandleContext } from "./handle-context.js";
import { R_POOLED_GRANULES, R_POOLS, R_SLAB_GRANULES } from "./heap-root.js";
import { CHUNK_BYTES } from "./medium-chunk.js";
import { clearEntries, GRANULE, KIND_SLAB, setEntries } from "./page-map.js";
import { SIZE_CLASSES, SLAB_SIZES, slabAlign } from "./size-classes.js";
import { parkSlab } from "./slab.js";

/** The class a parked 64 KiB page is recorded under: the first class whose slabs are 64 KiB. */
const POOL_CLASS_64K = SIZE_CLASSES.findIndex((sizeClass) => sizeClass.slabBytes === CHUNK_BYTES);

/**
 * The pools may always hold 1 MiB; beyond it, at most an eighth of all slab memory (the dirty-page bound the
 * original lacked): an empty slab beyond the bound is unmapped.
 */
const POOL_FLOOR_BYTES = 1 << 20;

/** The page pools of one heap, seen from one handle. */
export class PagePools {
  readonly #ctx: HandleContext;
  /** One pool per entry of SLAB_SIZES. */
  readonly #pools: readonly BagPipe[];

  constructor(ctx: HandleContext) {
    this.#ctx = ctx;
    this.#pools = SLAB_SIZES.map((_, p) => BagPipe.open(ctx.space, ctx.i32[ctx.rootIndex + R_POOLS + p]));
  }

  /**
   * A parked page of `bytes` (a size of SLAB_SIZES), or a new zeroed mapping aligned as slabs of that size need;
   * 0 when the address space has no room. The caller syncs the handle's views before touching the page: a
   * parked page may lie beyond them, and a mapping may have grown the buffer.
   */
  takePage(bytes: number): Ptr {
    const r = this.#ctx.rootIndex;
    const parked = this.#pools[poolOf(bytes)].tryPop();
    if (parked > 0) {
      Atomics.sub(this.#ctx.i32, r + R_POOLED_GRANULES, bytes / GRANULE);
      return parked;
    }
    // Zeroed: a new slab's header and bit-sets start from zero.
    const base = this.#ctx.space.map(bytes, slabAlign(bytes));
    if (base === NULL) return NULL;
    // The space's views: the mapping may have grown the buffer (an unshared wasm memory's old views detach).
    Atomics.add(this.#ctx.space.i32, r + R_SLAB_GRANULES, bytes / GRANULE);
    return base;
  }

  /**
   * Parks the empty slab at `base` of `bytes` in its pool, or unmaps it when the pools already hold their
   * bound ({@link POOL_FLOOR_BYTES}) or its pool's rings are full.
   */
  parkPage(base: number, bytes: number): void {
    const i32 = this.#ctx.i32;
    const r = this.#ctx.rootIndex;
    const granules = bytes / GRANULE;
    const pooled = Atomics.add(i32, r + R_POOLED_GRANULES, granules) + granules;
    const slabs = Atomics.load(i32, r + R_SLAB_GRANULES);
    if (pooled * GRANULE > POOL_FLOOR_BYTES && pooled * 8 > slabs) {
      Atomics.sub(i32, r + R_POOLED_GRANULES, granules);
      this.#unmap(base, bytes);
      return;
    }
    parkSlab(i32, base, bytes);
    if (!this.#pools[poolOf(bytes)].push(base)) {
      Atomics.sub(i32, r + R_POOLED_GRANULES, granules);
      this.#unmap(base, bytes);
    }
  }

  /** 64 KiB of pages for a medium chunk, 16 KiB-aligned, under the handle's synced views; 0 when out of room. */
  takeChunk(): Ptr {
    const base = this.takePage(CHUNK_BYTES);
    this.#ctx.sync();
    return base;
  }

  /**
   * Takes back an empty medium chunk: the page map names it a slab of {@link POOL_CLASS_64K}, as for every
   * parked 64 KiB page, before it is parked.
   */
  releaseChunk(base: number): void {
    const ctx = this.#ctx;
    ctx.sync();
    setEntries(ctx.u32, ctx.map, base, CHUNK_BYTES, KIND_SLAB, POOL_CLASS_64K);
    this.parkPage(base, CHUNK_BYTES);
  }

  /** Gives every parked page back to the address space; true if any was. */
  unmapParked(): boolean {
    let any = false;
    SLAB_SIZES.forEach((bytes, p) => {
      for (let base = this.#pools[p].tryPop(); base > 0; base = this.#pools[p].tryPop()) {
        Atomics.sub(this.#ctx.i32, this.#ctx.rootIndex + R_POOLED_GRANULES, bytes / GRANULE);
        this.#unmap(base, bytes);
        any = true;
      }
    });
    return any;
  }

  #unmap(base: number, bytes: number): void {
    const ctx = this.#ctx;
    clearEntries(ctx.u32, ctx.map, base, bytes);
    Atomics.sub(ctx.i32, ctx.rootIndex + R_SLAB_GRANULES, bytes / GRANULE);
    ctx.space.unmap(base, bytes);
  }
}

/** The pool of pages of `bytes`: its index in SLAB_SIZES. */
function poolOf(bytes: number): number {
  return SLAB_SIZES.indexOf(bytes as (typeof SLAB_SIZES)[number]);
}
