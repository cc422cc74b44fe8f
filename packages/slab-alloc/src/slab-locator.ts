/**
 * How a pointer finds the header of its slab: by masking for aligned slabs, through a page map for large ones.
 * Each allocator takes one locator, chosen by its slab kind when it is built.
 *
 * ```
 * aligned slab: S bytes aligned to S, header inside       large slab: a run of pages, header out of line
 *   +--------+----------------------------+                  +--------+----------------------------+
 *   | header | free stack ... objects ... |                  | colour | objects ...                |
 *   +--------+----------------------------+                  +--------+----------------------------+
 *   ^ header = ptr - (ptr & (S - 1))                          page map: ptr >>> pageShift -> header,
 *                                                             every page of the slab registered; the
 *                                                             header is a block of the header cache
 *                                                             (a SlabAlloc of header-sized blocks)
 * ```
 *
 * `SlabAlloc` calls its locator on every slow path (a new slab, a release, `owns`, `check`, `stats`). Its
 * `dealloc` hot path keeps the aligned case in fields of its own (a mask and a flag, resolved once) so that
 * masking costs no call, and calls {@link SlabLocator.headerOfObject} only for large slabs: that call site only
 * ever sees a {@link PageMapLocator}.
 *
 * @module
 */
import type { Ptr } from "@allocators/object-alloc";
import { Header } from "./geometry.js";
import { PageMap } from "./page-map.js";

const { TAG, SELF } = Header;

/** How the slabs of one allocator are mapped and how a pointer finds its slab's header. */
export interface SlabLocator {
  /** The alignment slabs are mapped with. */
  readonly slabAlign: number;
  /** A header for the freshly mapped `slab`, or 0 when none can be had (the caller then unmaps the slab). */
  headerFor(slab: Ptr): number;
  /** Makes every pointer into `slab` find the header `h`. */
  register(slab: Ptr, h: number): void;
  /** Undoes {@link SlabLocator.register} and gives back the header `h` of the slab being released. */
  unregister(slab: Ptr, h: number): void;
  /**
   * `dealloc`'s lookup: the header of the slab `ptr` would belong to, which the caller then checks (tag, self,
   * index). Throws a `RangeError` naming `ptr` when no slab can hold it.
   */
  headerOfObject(ptr: Ptr): number;
  /** The header of the slab the u32 integer `ptr` (above 0) belongs to, or 0 when it is not a slab of ours. */
  headerOf(u32: Uint32Array, ptr: Ptr): number;
  /** What is wrong with how slab `slab` with header `h` is placed or registered, or "" when nothing. */
  slabProblem(h: number, slab: Ptr): string;
  /** Checks the locator's own structures, for an allocator of `slabs` slabs, into `problems`. */
  check(slabs: number, problems: string[]): void;
  /** Bytes mapped for headers outside the slabs. */
  headerBytes(): number;
  /** Gives back what the locator mapped; called once every slab was released. */
  dispose(): void;
}

/** Aligned slabs: the header is the slab's first bytes, found by masking any pointer into the slab. */
export class AlignedSlabLocator implements SlabLocator {
  readonly slabAlign: number;
  readonly #mask: number;
  readonly #tag: number;

  /** For slabs of `slabBytes` (a power of two) whose headers carry `tag`. */
  constructor(slabBytes: number, tag: number) {
    this.slabAlign = slabBytes;
    this.#mask = slabBytes - 1;
    this.#tag = tag;
  }

  headerFor(slab: Ptr): number {
    return slab;
  }

  register(): void {
    // The header is found by masking: nothing to record.
  }

  unregister(): void {
    // The header goes with the slab's pages.
  }

  headerOfObject(ptr: Ptr): number {
    return ptr - (ptr & this.#mask);
  }

  headerOf(u32: Uint32Array, ptr: Ptr): number {
    const h = ptr - (ptr & this.#mask);
    const w = h >>> 2;
    return u32[w + TAG] === this.#tag && u32[w + SELF] === h ? h : 0;
  }

  slabProblem(h: number): string {
    return (h & this.#mask) !== 0 ? "slab not aligned to its size" : "";
  }

  check(): void {
    // No structure of its own.
  }

  headerBytes(): number {
    return 0;
  }

  dispose(): void {
    // Nothing mapped besides the slabs.
  }
}

/** What a {@link PageMapLocator} needs of the allocator of its headers: a `SlabAlloc` of header blocks. */
export interface HeaderCache {
  alloc(): Ptr;
  dealloc(ptr: Ptr): void;
  check(): string[];
  stats(): { mappedBytes: number };
  dispose(): void;
}

/**
 * Large slabs: page-aligned runs of pages whose headers are blocks of a header cache, found through a page
 * map in which every page of every slab is registered (see page-map.ts). It is that page map itself, so that
 * `dealloc`'s lookup reads no other object on its way to the probe.
 */
export class PageMapLocator extends PageMap implements SlabLocator {
  readonly slabAlign: number;
  readonly #pageShift: number;
  readonly #slabPages: number;
  readonly #headers: HeaderCache;

  /** For slabs of `slabBytes` (a multiple of `pageSize`) whose headers come from `headers`. */
  constructor(pageSize: number, slabBytes: number, headers: HeaderCache) {
    super();
    this.slabAlign = pageSize;
    this.#pageShift = Math.log2(pageSize);
    this.#slabPages = slabBytes / pageSize;
    this.#headers = headers;
  }

  headerFor(): number {
    return this.#headers.alloc();
  }

  register(slab: Ptr, h: number): void {
    for (let page = slab >>> this.#pageShift, end = page + this.#slabPages; page < end; page++) {
      this.set(page, h);
    }
  }

  unregister(slab: Ptr, h: number): void {
    for (let page = slab >>> this.#pageShift, end = page + this.#slabPages; page < end; page++) {
      this.delete(page);
    }
    this.#headers.dealloc(h);
  }

  headerOfObject(ptr: Ptr): number {
    const h = Number.isInteger(ptr) && ptr > 0 && ptr < 2 ** 32 ? this.get(ptr >>> this.#pageShift) : 0;
    if (h === 0) throw new RangeError(`ptr must be an object of this SlabAlloc; got ${ptr}`);
    return h;
  }

  headerOf(_u32: Uint32Array, ptr: Ptr): number {
    return this.get(ptr >>> this.#pageShift);
  }

  slabProblem(h: number, slab: Ptr): string {
    return this.get(slab >>> this.#pageShift) !== h ? "slab missing from the page map" : "";
  }

  check(slabs: number, problems: string[]): void {
    if (this.size !== slabs * this.#slabPages) {
      problems.push(`page map holds ${this.size} pages for ${slabs} slabs`);
    }
    for (const p of this.#headers.check()) problems.push(`header cache: ${p}`);
  }

  headerBytes(): number {
    return this.#headers.stats().mappedBytes;
  }

  dispose(): void {
    this.#headers.dispose();
  }
}
