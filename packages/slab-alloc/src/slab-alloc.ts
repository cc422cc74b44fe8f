/**
 * `SlabAlloc`: Bonwick's object-caching slab allocator over an address space.
 *
 * One allocator serves one object layout. Slabs are runs of pages carved into objects; each slab keeps a
 * stack of its free objects, and each stack entry remembers whether the object is still constructed, so an
 * allocation that reuses a freed object skips the constructor (the point of Bonwick's design).
 *
 * ```
 *  lists (headers linked through NEXT/PREV):
 *    partial -> [h] <-> [h] <-> ...   some objects free: allocation pops from the head slab
 *    full    -> [h] <-> ...           no object free
 *    empty   -> [h] <-> ... <-> [h]   every object free, kept for the working set; released from the tail
 * ```
 *
 * Single-threaded by design, as the original: one worker allocates and frees. The objects may live in a
 * shared buffer and be read and written by other workers; the allocator's own state (headers inside the
 * slabs, lists, counters) is only consistent for the worker that owns it.
 *
 * @module
 */

import type { Memory, UntypedObjectAlloc } from "@allocators/object-alloc";
import { assertAlign, assertPtr, assertSize, Layout, NULL, type Ptr } from "@allocators/object-alloc";
import {
  chooseGeometry,
  defaultKind,
  type Geometry,
  geometryFor,
  HEADER_WORDS,
  Header,
  objectIndex,
  type SlabKind,
  SlabList,
  strideOf,
} from "./geometry.js";
import { PageMap } from "./page-map.js";
import { WorkingSet } from "./working-set.js";

/**
 * What a slab allocator needs of an address space: the `AddressSpace` of `@allocators/mmap-alloc`, or any
 * {@link Memory} that maps zeroed runs of pages aligned to at least `align` and never at 0.
 */
export interface PageSource extends Memory {
  readonly pageSize: number;
  /** Zeroed pages aligned to `align` (at least the page size), 0 when out of memory. */
  map(bytes: number, align?: number): Ptr;
  unmap(ptr: Ptr, bytes: number): void;
}

/** Options of a {@link SlabAlloc}. */
export interface SlabAllocOptions {
  /** Bytes of an object. */
  size: number;
  /** Alignment of an object: a power of two up to the page size. Default: the largest power of two dividing the size, at most 8. */
  align?: number;
  /**
   * The constructor, run on an object the first time it is handed out (and again only after its slab went
   * back to the address space). A freed object stays constructed: the next `alloc` returning it skips this.
   */
  init?: (ptr: Ptr) => void;
  /** The destructor, run on each constructed object when its slab goes back to the address space or on `dispose`. */
  destroy?: (ptr: Ptr) => void;
  /** Every object handed out is all zeros (fresh pages are; reused objects are cleared). Not with `init`. */
  zeroed?: boolean;
  /** The slab size in bytes; default: chosen from the object size (see the design note). */
  slabBytes?: number;
  /** Aligned slabs (header inside, found by masking) or large slabs (header out of line, found by a page map). Default: aligned up to an eighth of a page. */
  kind?: SlabKind;
  /**
   * Detects double frees (a live bit per object). Foreign and interior pointers are rejected in either mode.
   * Default false.
   */
  checked?: boolean;
  /** Slab colouring (offsetting each slab's objects by a different multiple of a cache line). Default true. */
  colouring?: boolean;
  /** The working-set window in milliseconds: an empty slab unused for this long goes back. Default 15 000. */
  workingSetMs?: number;
  /** The clock of the working-set policy, in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** What {@link SlabAlloc.stats} reports. */
export interface SlabStats {
  kind: SlabKind;
  size: number;
  align: number;
  stride: number;
  slabBytes: number;
  objectsPerSlab: number;
  colours: number;
  checked: boolean;
  slabs: number;
  partialSlabs: number;
  fullSlabs: number;
  emptySlabs: number;
  liveObjects: number;
  freeObjects: number;
  /** Bytes of slabs mapped, plus the header cache's for large slabs. */
  mappedBytes: number;
  constructorCalls: number;
  destructorCalls: number;
  slabsReleased: number;
}

// Module-local copies: the hot path reads plain constants, never a property of another module's object.
const { TAG, SELF, BASE, FREE, NEXT, PREV, LIST, SLAB } = Header;
const { PARTIAL, FULL, EMPTY } = SlabList;
/** The free stack's first u16, counted from the header in u16 units. */
const STACK = 2 * HEADER_WORDS;

const DEFAULT_WINDOW_MS = 15_000;
const HEADER_ALIGN = 8;
/**
 * Tags tell allocators apart, so that `dealloc` rejects another allocator's objects. Random, not a counter: allocators of different workers may share
 * one address space, and each worker would count from the same start.
 */
function newTag(): number {
  // 1 to 2^30 - 1: never 0 (the tag of a released slab), and a small integer for V8.
  return 1 + Math.floor(Math.random() * 0x3ffffffe);
}

/**
 * Bonwick's slab allocator: fixed-size objects from slabs of pages, with constructed-object caching, slab
 * colouring, and empty slabs returned to the address space by a working-set policy.
 *
 * Every `dealloc` rejects a pointer that is not an object of this allocator, or points inside one, with a
 * `RangeError`, and leaves the allocator unchanged: a tag, self-address and index test. Checked mode
 * (`checked: true`) also rejects a double free: it costs a bitmap of one bit per object in each slab header,
 * a bit set per `alloc` and a bit test per `dealloc`. Unchecked (the default, as the original and elfmalloc),
 * a double free corrupts the allocator silently. *
 * @example
 * ```ts
 * const space = AddressSpace.create({ maxBytes: 1 << 24 });
 * const nodes = new SlabAlloc(space, { size: 24, align: 8, init: (p) => space.f64.fill(-1, p / 8, p / 8 + 3) });
 * const p = nodes.alloc(); // constructed: three f64 of -1
 * nodes.dealloc(p);
 * nodes.alloc() === p;     // true, and the constructor did not run again
 * ```
 */
export class SlabAlloc implements UntypedObjectAlloc {
  /** The size and alignment of every object. */
  readonly layout: Layout;
  readonly #space: PageSource;
  readonly #g: Geometry;
  readonly #n: number;
  readonly #aligned: boolean;
  readonly #slabMask: number;
  readonly #pageShift: number;
  readonly #checked: boolean;
  /** Geometry copied into fields, so the hot path reads no other object. */
  readonly #strideShift: number;
  readonly #strideLowBits: number;
  readonly #strideInverse: number;
  readonly #bitmapWord: number;
  readonly #stride: number;
  readonly #colouring: boolean;
  readonly #tag: number;
  readonly #init: ((ptr: Ptr) => void) | null;
  readonly #destroy: ((ptr: Ptr) => void) | null;
  /**
   * Which objects `alloc` must ready, by their stack entry's constructed bit: bit 0 set runs `init` on an
   * unconstructed object, bit 1 set zeroes a reused one (`zeroed`). One test on the hot path for both.
   */
  readonly #prepare: number;
  readonly #workingSet: WorkingSet;
  readonly #pages: PageMap | null;
  readonly #headers: SlabAlloc | null;
  #u32!: Uint32Array;
  #u16!: Uint16Array;
  #u8!: Uint8Array;
  /** Heads of the partial, full and empty lists (header addresses, 0 for none), and the empty list's tail. */
  #partial = 0;
  #full = 0;
  #emptyHead = 0;
  #emptyTail = 0;
  #emptyCount = 0;
  #slabs = 0;
  #nextColour = 0;
  #constructorCalls = 0;
  #destructorCalls = 0;
  #slabsReleased = 0;

  /**
   * @throws RangeError naming the option when `size`, `align`, `slabBytes`, `kind` or `workingSetMs` is
   * invalid, or when `init` and `zeroed` are both given.
   */
  constructor(space: PageSource, options: SlabAllocOptions) {
    const { size, init = null, destroy = null, zeroed = false, checked = false, colouring = true } = options;
    assertSize(size, "size");
    const align = options.align ?? naturalAlign(size);
    assertAlign(align, "align");
    if (align > space.pageSize) {
      throw new RangeError(`align must be at most the page size ${space.pageSize}; got ${align}`);
    }
    if (zeroed && init !== null) throw new RangeError("zeroed must be false when init is given");
    const windowMs = options.workingSetMs ?? DEFAULT_WINDOW_MS;
    if (!(windowMs >= 0)) throw new RangeError(`workingSetMs must be a number >= 0; got ${windowMs}`);
    this.layout = Layout.from(size, align);
    this.#space = space;
    this.#g = geometryOf(options, strideOf(size, align), align, space.pageSize, checked);
    this.#n = this.#g.objectsPerSlab;
    this.#aligned = this.#g.kind === "aligned";
    this.#slabMask = this.#g.slabBytes - 1;
    this.#pageShift = Math.log2(space.pageSize);
    this.#checked = checked;
    this.#strideShift = this.#g.strideShift;
    this.#strideLowBits = (1 << this.#g.strideShift) - 1;
    this.#strideInverse = this.#g.strideInverse;
    this.#bitmapWord = this.#g.bitmapWord;
    this.#stride = this.#g.stride;
    this.#colouring = colouring;
    this.#tag = newTag();
    this.#init = init;
    this.#destroy = destroy;
    this.#prepare = (init !== null ? 1 : 0) | (zeroed ? 2 : 0);
    this.#workingSet = new WorkingSet(windowMs, options.now ?? (() => performance.now()));
    this.#pages = this.#aligned ? null : new PageMap();
    this.#headers = this.#aligned
      ? null
      : new SlabAlloc(space, {
          size: this.#g.headerBytes,
          align: HEADER_ALIGN,
          kind: "aligned",
          checked: false,
          colouring: false,
          workingSetMs: windowMs,
          now: this.#workingSet.now,
        });
    this.#refreshViews();
  }

  /** The address space the objects live in. */
  get memory(): Memory {
    return this.#space;
  }

  /**
   * An object, constructed by `init` when it was never constructed (or zeroed when `zeroed`), or
   * {@link NULL} when the address space is full.
   */
  alloc(): Ptr {
    let h = this.#partial;
    if (h === 0) {
      h = this.#refill();
      if (h === 0) return NULL;
    }
    let u32 = this.#u32;
    if (u32.length === 0) u32 = this.#refreshViews();
    const w = h >>> 2;
    const free = u32[w + FREE] - 1;
    const entry = this.#u16[(h >>> 1) + STACK + free];
    u32[w + FREE] = free;
    const index = entry >>> 1;
    const ptr = u32[w + BASE] + index * this.#stride;
    if (free === 0) this.#move(h, PARTIAL, FULL);
    if (this.#checked) u32[w + this.#bitmapWord + (index >>> 5)] |= 1 << (index & 31);
    if (((this.#prepare >>> (entry & 1)) & 1) !== 0) this.#prepareObject(ptr, entry & 1);
    return ptr;
  }

  /**
   * Returns the object `ptr`, which stays constructed for the next `alloc`. `dealloc(NULL)` does nothing.
   * @throws RangeError naming `ptr` for a pointer that is not an object of this allocator (foreign or
   * interior), and in checked mode for one already free; the allocator is unchanged then.
   */
  dealloc(ptr: Ptr): void {
    if (ptr !== NULL) this.#free(ptr, 1);
  }

  /** Pushes `ptr` on its slab's free stack, marked constructed (1) or not (0), and moves the slab as needed. */
  #free(ptr: Ptr, constructed: number): void {
    let u32 = this.#u32;
    if (u32.length === 0) u32 = this.#refreshViews();
    const h = this.#aligned ? ptr - (ptr & this.#slabMask) : this.#largeHeader(ptr);
    const w = h >>> 2;
    const offset = ptr - u32[w + BASE];
    const index = Math.imul(offset >>> this.#strideShift, this.#strideInverse) >>> 0;
    // Enough to refuse any pointer that is not an object of ours: `SELF === h` also refuses one that is not a
    // u32 integer (a fraction, a negative number, NaN or 2^32 and above give an `h` no header holds as its
    // own address); with `offset` a multiple of 2^strideShift, the multiplicative inverse gives `index < n`
    // exactly when `offset` is a multiple of the stride from 0 below the span (any other offset, a negative
    // one wrapped to u32 included, maps to an index of at least 2^32 / stride). Messages are built out of line.
    if (
      u32[w + TAG] !== this.#tag ||
      u32[w + SELF] !== h ||
      (offset & this.#strideLowBits) !== 0 ||
      index >= this.#n
    ) {
      throw this.#misuse(u32, ptr, h);
    }
    if (this.#checked) this.#clearLiveBit(u32, ptr, w, index);
    const free = u32[w + FREE];
    this.#u16[(h >>> 1) + STACK + free] = index * 2 + constructed;
    u32[w + FREE] = free + 1;
    if (free === 0 || free + 1 === this.#n) this.#changeList(h, free);
  }

  /** Moves slab `h` after a free found `free` objects free before it: out of the full list, or into the empty one. */
  #changeList(h: number, free: number): void {
    if (free === 0) this.#leaveFull(h);
    else if (h !== this.#partial || this.#u32[(h >>> 2) + NEXT] !== 0) {
      // The last partial slab stays where it is when it empties: it is the current slab, so alloc/free
      // pairs on a quiet allocator move no slab between lists (and never look at the clock).
      this.#move(h, PARTIAL, EMPTY);
      this.#becameEmpty();
    }
  }

  /** True when `ptr` is a live object of this allocator (needs checked mode; unchecked, true for any object slot). */
  owns(ptr: Ptr): boolean {
    if (!(Number.isInteger(ptr) && ptr > 0 && ptr < 2 ** 32)) return false;
    const u32 = this.#refreshViews();
    const h = this.#headerOf(u32, ptr);
    if (h === 0) return false;
    const index = objectIndex(this.#g, ptr - u32[(h >>> 2) + BASE]);
    return index >= 0 && (!this.#checked || this.#isLive(u32, h >>> 2, index));
  }

  /** Applies the working-set policy now (say from an idle callback); returns the number of slabs released. */
  reclaim(): number {
    return this.#releaseEmpty(this.#workingSet.due(this.#emptyCount));
  }

  /** Returns every empty slab to the address space now, running the destructor on its objects; returns how many. */
  trim(): number {
    const current = this.#partial;
    const idle = current !== 0 && this.#u32[(current >>> 2) + FREE] === this.#n;
    if (idle) this.#release(current, PARTIAL);
    return this.#releaseEmpty(this.#emptyCount) + (idle ? 1 : 0);
  }

  /**
   * Returns every slab to the address space, running the destructor on each free constructed object. Live
   * objects are abandoned without their destructor: they belong to the caller, and must not be used after.
   * The allocator is empty and usable afterwards.
   */
  dispose(): void {
    for (const list of [PARTIAL, FULL, EMPTY]) {
      while (this.#head(list) !== 0) this.#release(this.#head(list), list);
    }
    this.#headers?.dispose();
  }

  /** Counters and geometry. */
  stats(): SlabStats {
    const g = this.#g;
    const partialSlabs = this.#count(PARTIAL);
    const fullSlabs = this.#count(FULL);
    const live = this.#liveObjects();
    return {
      kind: g.kind,
      size: this.layout.size,
      align: g.align,
      stride: g.stride,
      slabBytes: g.slabBytes,
      objectsPerSlab: g.objectsPerSlab,
      colours: this.#colouring ? g.colours : 1,
      checked: this.#checked,
      slabs: this.#slabs,
      partialSlabs,
      fullSlabs,
      emptySlabs: this.#emptyCount,
      liveObjects: live,
      freeObjects: this.#slabs * this.#n - live,
      mappedBytes: this.#slabs * g.slabBytes + (this.#headers?.stats().mappedBytes ?? 0),
      constructorCalls: this.#constructorCalls,
      destructorCalls: this.#destructorCalls,
      slabsReleased: this.#slabsReleased,
    };
  }

  /**
   * Walks every slab and returns the broken invariants found, as sentences (empty when consistent): list
   * membership matches the free count, free-stack entries are distinct object offsets, the bitmap (checked
   * mode) marks exactly the objects not on the stack, counters add up, and large slabs are in the page map.
   */
  check(): string[] {
    const problems: string[] = [];
    const u32 = this.#refreshViews();
    let slabs = 0;
    for (const list of [PARTIAL, FULL, EMPTY]) {
      let prev = 0;
      for (let h = this.#head(list); h !== 0; h = u32[(h >>> 2) + NEXT]) {
        if (++slabs > this.#slabs) {
          problems.push(`list ${list} holds more slabs than the ${this.#slabs} mapped (a cycle?)`);
          break;
        }
        this.#checkSlab(u32, h, list, prev, problems);
        prev = h;
      }
    }
    if (slabs !== this.#slabs) problems.push(`lists hold ${slabs} slabs, ${this.#slabs} mapped`);
    if (this.#count(EMPTY) !== this.#emptyCount) problems.push("empty-slab counter is wrong");
    if (this.#pages !== null && this.#pages.size !== this.#slabs * (this.#g.slabBytes >>> this.#pageShift)) {
      problems.push(`page map holds ${this.#pages.size} pages for ${this.#slabs} slabs`);
    }
    for (const p of this.#headers?.check() ?? []) problems.push(`header cache: ${p}`);
    return problems;
  }

  #checkSlab(u32: Uint32Array, h: number, list: number, prev: number, problems: string[]): void {
    const w = h >>> 2;
    const free = u32[w + FREE];
    const where = `slab header ${h}`;
    if (u32[w + TAG] !== this.#tag || u32[w + SELF] !== h) problems.push(`${where}: bad tag`);
    if (u32[w + LIST] !== list) problems.push(`${where}: in list ${list}, says ${u32[w + LIST]}`);
    if (u32[w + PREV] !== prev) problems.push(`${where}: PREV is ${u32[w + PREV]}, not ${prev}`);
    const current = list === PARTIAL && prev === 0 && u32[w + NEXT] === 0;
    const expected =
      list === FULL
        ? free === 0
        : list === EMPTY
          ? free === this.#n
          : free > 0 && (free < this.#n || current);
    if (!expected) problems.push(`${where}: ${free} free objects in list ${list}`);
    if (this.#aligned && (h & this.#slabMask) !== 0) problems.push(`${where}: slab not aligned to its size`);
    if (!this.#aligned && this.#pages!.get(u32[w + SLAB] >>> this.#pageShift) !== h) {
      problems.push(`${where}: slab missing from the page map`);
    }
    const onStack = new Uint8Array(this.#n);
    for (let i = 0; i < free; i++) {
      const index = this.#u16[(h >>> 1) + STACK + i] >>> 1;
      if (index >= this.#n) problems.push(`${where}: stack entry ${i} is not an object index`);
      else if (onStack[index]++ > 0) problems.push(`${where}: object ${index} twice on the free stack`);
    }
    if (!this.#checked) return;
    for (let index = 0; index < this.#n; index++) {
      if (this.#isLive(u32, w, index) === onStack[index] > 0) {
        problems.push(`${where}: bitmap disagrees with the free stack for object ${index}`);
      }
    }
  }

  /** The slab to allocate from when the partial list is empty: an empty slab, else a new one; 0 when full. */
  #refill(): number {
    const h = this.#emptyHead;
    if (h === 0) return this.#newSlab();
    this.#move(h, EMPTY, PARTIAL);
    this.#emptyCount--;
    this.#workingSet.taken(this.#emptyCount);
    return h;
  }

  #newSlab(): number {
    const g = this.#g;
    const slab = this.#space.map(g.slabBytes, this.#aligned ? g.slabBytes : this.#space.pageSize);
    if (slab === NULL) return 0;
    const h = this.#aligned ? slab : this.#headers!.alloc();
    if (h === 0) {
      this.#space.unmap(slab, g.slabBytes);
      return 0;
    }
    const u32 = this.#refreshViews();
    const w = h >>> 2;
    const colour = this.#colouring ? this.#nextColour * g.colourStep : 0;
    this.#nextColour = (this.#nextColour + 1) % g.colours;
    u32[w + TAG] = this.#tag;
    u32[w + SELF] = h;
    u32[w + BASE] = slab + g.firstObject + colour;
    u32[w + FREE] = this.#n;
    u32[w + SLAB] = slab;
    // Object 0 on top of the stack, so a new slab hands out its objects in address order.
    const u16 = this.#u16;
    for (let i = 0; i < this.#n; i++) u16[(h >>> 1) + STACK + i] = (this.#n - 1 - i) * 2;
    if (this.#checked) u32.fill(0, w + g.bitmapWord, w + g.bitmapWord + Math.ceil(this.#n / 32));
    if (!this.#aligned) {
      for (
        let page = slab >>> this.#pageShift, end = page + (g.slabBytes >>> this.#pageShift);
        page < end;
        page++
      ) {
        this.#pages!.set(page, h);
      }
    }
    this.#push(h, PARTIAL);
    this.#slabs++;
    return h;
  }

  /**
   * Readies an object `alloc` hands out: runs `init` on one never constructed (`constructed` 0), zeroes a
   * reused one when `zeroed`. If `init` throws, the object goes back unconstructed and the error propagates.
   */
  #prepareObject(ptr: Ptr, constructed: number): void {
    if (constructed === 1) {
      this.#u8.fill(0, ptr, ptr + this.layout.size);
      return;
    }
    try {
      this.#init!(ptr);
      this.#constructorCalls++;
    } catch (error) {
      this.#free(ptr, 0);
      throw error;
    }
  }

  #largeHeader(ptr: Ptr): number {
    const h =
      Number.isInteger(ptr) && ptr > 0 && ptr < 2 ** 32 ? this.#pages!.get(ptr >>> this.#pageShift) : 0;
    if (h === 0) throw new RangeError(`ptr must be an object of this SlabAlloc; got ${ptr}`);
    return h;
  }

  /** The header of the slab `ptr` would belong to, or 0 when it is not one of ours. */
  #headerOf(u32: Uint32Array, ptr: Ptr): number {
    if (!this.#aligned) return this.#pages!.get(ptr >>> this.#pageShift);
    const h = ptr - (ptr & this.#slabMask);
    const w = h >>> 2;
    return u32[w + TAG] === this.#tag && u32[w + SELF] === h ? h : 0;
  }

  /**
   * Checked mode: throws unless object `index` of the slab at word `w` is live, then clears its live bit.
   * Small, with its message built out of line, so that V8 inlines `alloc`, `dealloc` and this into one caller
   * (its inlining budget is counted in bytecode).
   */
  #clearLiveBit(u32: Uint32Array, ptr: Ptr, w: number, index: number): void {
    const word = w + this.#bitmapWord + (index >>> 5);
    const bit = 1 << (index & 31);
    if ((u32[word] & bit) === 0) throw doubleFree(ptr);
    u32[word] ^= bit;
  }

  /** The error for a `dealloc(ptr)` whose pointer checks failed, naming what is wrong with `ptr`. */
  #misuse(u32: Uint32Array, ptr: Ptr, h: number): RangeError {
    if (ptr >>> 0 !== ptr) assertPtr(ptr);
    const w = h >>> 2;
    if (u32[w + TAG] !== this.#tag || u32[w + SELF] !== h) {
      return new RangeError(`ptr must be an object of this SlabAlloc; got ${ptr}`);
    }
    return new RangeError(`ptr must point at the start of an object; got ${ptr}, inside slab ${h}`);
  }

  #isLive(u32: Uint32Array, w: number, index: number): boolean {
    return (u32[w + this.#bitmapWord + (index >>> 5)] & (1 << (index & 31))) !== 0;
  }

  /** Moves slab `h`, which just got its first free object, out of the full list. */
  #leaveFull(h: number): void {
    if (this.#n === 1) {
      this.#move(h, FULL, EMPTY);
      this.#becameEmpty();
      return;
    }
    // An empty current slab may only stay in the partial list alone: retire it before another joins.
    const current = this.#partial;
    if (current !== 0 && this.#u32[(current >>> 2) + FREE] === this.#n) {
      this.#move(current, PARTIAL, EMPTY);
      this.#becameEmpty();
    }
    this.#move(h, FULL, PARTIAL);
  }

  #becameEmpty(): void {
    this.#emptyCount++;
    this.#releaseEmpty(this.#workingSet.due(this.#emptyCount));
  }

  /** Releases `count` empty slabs, the longest-empty first. */
  #releaseEmpty(count: number): number {
    for (let i = 0; i < count; i++) this.#release(this.#emptyTail, EMPTY);
    return count;
  }

  /** Destroys the constructed free objects of slab `h`, unlinks it and returns its pages. */
  #release(h: number, list: number): void {
    const g = this.#g;
    let u32 = this.#refreshViews();
    const w = h >>> 2;
    const base = u32[w + BASE];
    const slab = u32[w + SLAB];
    if (this.#destroy !== null) {
      for (let i = u32[w + FREE] - 1; i >= 0; i--) {
        const entry = this.#u16[(h >>> 1) + STACK + i];
        if ((entry & 1) === 0) continue;
        this.#destroy(base + (entry >>> 1) * g.stride);
        this.#destructorCalls++;
        u32 = this.#refreshViews();
      }
    }
    this.#unlink(h, list);
    if (list === EMPTY) this.#emptyCount--;
    u32[w + TAG] = 0;
    u32[w + SELF] = 0;
    if (!this.#aligned) {
      for (
        let page = slab >>> this.#pageShift, end = page + (g.slabBytes >>> this.#pageShift);
        page < end;
        page++
      ) {
        this.#pages!.delete(page);
      }
      this.#headers!.dealloc(h);
    }
    this.#space.unmap(slab, g.slabBytes);
    this.#slabs--;
    this.#slabsReleased++;
  }

  #head(list: number): number {
    return list === PARTIAL ? this.#partial : list === FULL ? this.#full : this.#emptyHead;
  }

  #setHead(list: number, h: number): void {
    if (list === PARTIAL) this.#partial = h;
    else if (list === FULL) this.#full = h;
    else this.#emptyHead = h;
  }

  /**
   * Live objects, counted from the slabs' free counts: the hot path keeps no counter of its own (two fewer
   * writes per alloc/free pair), so this walks the partial list; full slabs are all live, empty ones all free.
   */
  #liveObjects(): number {
    const u32 = this.#refreshViews();
    let live = this.#count(FULL) * this.#n;
    for (let h = this.#partial; h !== 0; h = u32[(h >>> 2) + NEXT]) live += this.#n - u32[(h >>> 2) + FREE];
    return live;
  }

  #count(list: number): number {
    let count = 0;
    for (let h = this.#head(list); h !== 0 && count <= this.#slabs; h = this.#u32[(h >>> 2) + NEXT]) count++;
    return count;
  }

  #move(h: number, from: number, to: number): void {
    this.#unlink(h, from);
    this.#push(h, to);
  }

  /** Pushes `h` at the head of `list` (the empty list also tracks its tail, where release starts). */
  #push(h: number, list: number): void {
    const u32 = this.#u32;
    const w = h >>> 2;
    const head = this.#head(list);
    u32[w + NEXT] = head;
    u32[w + PREV] = 0;
    u32[w + LIST] = list;
    if (head !== 0) u32[(head >>> 2) + PREV] = h;
    else if (list === EMPTY) this.#emptyTail = h;
    this.#setHead(list, h);
  }

  #unlink(h: number, list: number): void {
    const u32 = this.#u32;
    const w = h >>> 2;
    const next = u32[w + NEXT];
    const prev = u32[w + PREV];
    if (prev !== 0) u32[(prev >>> 2) + NEXT] = next;
    else this.#setHead(list, next);
    if (next !== 0) u32[(next >>> 2) + PREV] = prev;
    else if (list === EMPTY) this.#emptyTail = prev;
  }

  /**
   * Takes fresh views after a mapping (which may grow the buffer) or when the buffer was detached (a
   * `WebAssembly.Memory` grown elsewhere). The views have a fixed length even over a growable or resizable
   * buffer: V8 optimises fixed-length views far better than length-tracking ones, and every slab this
   * allocator mapped is inside the buffer's length at the time of the refresh.
   */
  #refreshViews(): Uint32Array {
    const buffer = this.#space.buffer;
    this.#u8 = new Uint8Array(buffer, 0, buffer.byteLength);
    this.#u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    this.#u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    return this.#u32;
  }
}

function doubleFree(ptr: Ptr): RangeError {
  return new RangeError(`ptr must be a live object; got ${ptr} (double free)`);
}

/** The largest power of two dividing `size`, at most 8 (the alignment of a C struct of that size, roughly). */
function naturalAlign(size: number): number {
  let align = 1;
  while (align < 8 && size % (align * 2) === 0 && size > 0) align *= 2;
  return align;
}

function geometryOf(
  options: SlabAllocOptions,
  stride: number,
  align: number,
  pageSize: number,
  checked: boolean,
): Geometry {
  const kind = options.kind ?? defaultKind(stride, pageSize);
  if (kind !== "aligned" && kind !== "large") {
    throw new RangeError(`kind must be "aligned" or "large"; got ${String(kind)}`);
  }
  if (options.slabBytes === undefined) return chooseGeometry(kind, stride, align, pageSize, checked);
  const slabBytes = options.slabBytes;
  const valid =
    Number.isInteger(slabBytes) &&
    slabBytes >= pageSize &&
    slabBytes <= 2 ** 30 &&
    (kind === "aligned" ? (slabBytes & (slabBytes - 1)) === 0 : slabBytes % pageSize === 0);
  const g = valid ? geometryFor(kind, slabBytes, stride, align, checked) : null;
  if (g === null) {
    const rule = kind === "aligned" ? "a power of two" : "a multiple of the page size";
    throw new RangeError(
      `slabBytes must be ${rule} from ${pageSize} to 2^30 holding one object of ${stride} bytes; got ${slabBytes}`,
    );
  }
  return g;
}
