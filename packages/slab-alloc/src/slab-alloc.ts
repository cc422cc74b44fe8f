/**
 * `SlabAlloc`: Bonwick's object-caching slab allocator over an address space.
 *
 * One allocator serves one object layout. Slabs are runs of pages carved into objects; each slab keeps a
 * stack of its free objects, and each stack entry remembers whether the object is still constructed, so an
 * allocation that reuses a freed object skips the constructor (the point of Bonwick's design). This file holds
 * the allocator's hot paths (`alloc`, `dealloc`) and the slab life cycle (new slab, list moves, release); the
 * slab layout is in geometry.ts, the lists in slab-lists.ts, the header lookup in slab-locator.ts, the
 * working-set policy in working-set.ts, the options in options.ts and stats and the consistency check in audit.ts.
 *
 * Single-threaded by design, as the original: one worker allocates and frees. The objects may live in a
 * shared buffer and be read and written by other workers; the allocator's own state (headers inside the
 * slabs, lists, counters) is only consistent for the worker that owns it.
 *
 * @module
 */

import type { Memory, UntypedObjectAlloc } from "@allocators/object-alloc";
import { assertPtr, type Layout, NULL, type Ptr } from "@allocators/object-alloc";
import { checkSlabs, type SlabState, type SlabStats, slabStats } from "./audit.js";
import {
  STACK as FREE_STACK,
  type Geometry,
  Header,
  initHeader,
  isLive,
  objectIndex,
  SlabList,
} from "./geometry.js";
import { configure, headerCacheOptions, type SlabAllocOptions } from "./options.js";
import { SlabLists } from "./slab-lists.js";
import { AlignedSlabLocator, PageMapLocator, type SlabLocator } from "./slab-locator.js";
import { uint16Over } from "./views.js";
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

// Module-local copies: the hot path reads plain constants, never a property of another module's object.
const { TAG, SELF, BASE, FREE, NEXT, SLAB } = Header;
const { PARTIAL, FULL, EMPTY } = SlabList;
const STACK = FREE_STACK;

/**
 * Tags tell allocators apart, so that `dealloc` rejects another allocator's objects. Random, not a counter:
 * allocators of different workers may share one address space, and each worker would count from the same start.
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
 * a double free corrupts the allocator silently.
 *
 * @example
 * ```ts
 * const space = AddressSpace.create({ maxBytes: 1 << 24 });
 * const nodes = new SlabAlloc(space, { size: 24, align: 8, init: (p) => space.f64.fill(-1, p / 8, p / 8 + 3) });
 * const p = nodes.alloc(); // constructed: three f64 of -1
 * nodes.dealloc(p);
 * nodes.alloc() === p;     // true, and the constructor did not run again
 * ```
 */
export class SlabAlloc extends SlabLists implements UntypedObjectAlloc {
  /** The size and alignment of every object. */
  readonly layout: Layout;
  readonly #space: PageSource;
  readonly #g: Geometry;
  readonly #n: number;
  /** The locator's aligned case, resolved into fields for `dealloc`: a mask, no call (see slab-locator.ts). */
  readonly #aligned: boolean;
  readonly #slabMask: number;
  readonly #locator: SlabLocator;
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
  /**
   * The space's views as last handed out (see `#refreshViews`), and the u16 view of the free stacks over the
   * same bytes, which a `Memory` does not have.
   */
  #u32!: Uint32Array;
  #u16!: Uint16Array;
  #u8!: Uint8Array;
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
    super();
    const config = configure(options, space.pageSize);
    const g = config.geometry;
    this.layout = config.layout;
    this.#space = space;
    this.#g = g;
    this.#n = g.objectsPerSlab;
    this.#aligned = g.kind === "aligned";
    this.#slabMask = g.slabBytes - 1;
    this.#checked = config.checked;
    this.#strideShift = g.strideShift;
    this.#strideLowBits = (1 << g.strideShift) - 1;
    this.#strideInverse = g.strideInverse;
    this.#bitmapWord = g.bitmapWord;
    this.#stride = g.stride;
    this.#colouring = config.colouring;
    this.#tag = newTag();
    this.#init = config.init;
    this.#destroy = config.destroy;
    this.#prepare = (config.init !== null ? 1 : 0) | (config.zeroed ? 2 : 0);
    this.#workingSet = new WorkingSet(config.windowMs, config.now);
    this.#locator = this.#aligned
      ? new AlignedSlabLocator(g.slabBytes, this.#tag)
      : new PageMapLocator(space.pageSize, g.slabBytes, new SlabAlloc(space, headerCacheOptions(config)));
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
    let h = this.partial;
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
    if (free === 0) this.move(u32, h, PARTIAL, FULL);
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
    const h = this.#aligned ? ptr - (ptr & this.#slabMask) : this.#locator.headerOfObject(ptr);
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
    if (free === 0 || free + 1 === this.#n) this.#changeList(u32, h, free);
  }

  /** Moves slab `h` after a free found `free` objects free before it: out of the full list, or into the empty one. */
  #changeList(u32: Uint32Array, h: number, free: number): void {
    if (free === 0) this.#leaveFull(u32, h);
    else if (h !== this.partial || u32[(h >>> 2) + NEXT] !== 0) {
      // The last partial slab stays where it is when it empties: it is the current slab, so alloc/free
      // pairs on a quiet allocator move no slab between lists (and never look at the clock).
      this.move(u32, h, PARTIAL, EMPTY);
      this.#becameEmpty();
    }
  }

  /** True when `ptr` is a live object of this allocator (needs checked mode; unchecked, true for any object slot). */
  owns(ptr: Ptr): boolean {
    if (!(Number.isInteger(ptr) && ptr > 0 && ptr < 2 ** 32)) return false;
    const u32 = this.#refreshViews();
    const h = this.#locator.headerOf(u32, ptr);
    if (h === 0) return false;
    const index = objectIndex(this.#g, ptr - u32[(h >>> 2) + BASE]);
    return index >= 0 && (!this.#checked || isLive(u32, h >>> 2, this.#bitmapWord, index));
  }

  /** Applies the working-set policy now (say from an idle callback); returns the number of slabs released. */
  reclaim(): number {
    return this.#releaseEmpty(this.#workingSet.due(this.#emptyCount));
  }

  /** Returns every empty slab to the address space now, running the destructor on its objects; returns how many. */
  trim(): number {
    const current = this.partial;
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
      while (this.head(list) !== 0) this.#release(this.head(list), list);
    }
    this.#locator.dispose();
  }

  /** Counters and geometry. */
  stats(): SlabStats {
    return slabStats(this.#state());
  }

  /**
   * Walks every slab and returns the broken invariants found, as sentences (empty when consistent): list
   * membership matches the free count, free-stack entries are distinct object offsets, the bitmap (checked
   * mode) marks exactly the objects not on the stack, counters add up, and large slabs are in the page map.
   */
  check(): string[] {
    return checkSlabs(this.#state());
  }

  /** What `stats` and `check` read, over fresh views. */
  #state(): SlabState {
    return {
      geometry: this.#g,
      size: this.layout.size,
      u32: this.#refreshViews(),
      u16: this.#u16,
      tag: this.#tag,
      checked: this.#checked,
      colouring: this.#colouring,
      heads: [this.partial, this.full, this.emptyHead],
      slabs: this.#slabs,
      emptySlabs: this.#emptyCount,
      locator: this.#locator,
      constructorCalls: this.#constructorCalls,
      destructorCalls: this.#destructorCalls,
      slabsReleased: this.#slabsReleased,
    };
  }

  /** The slab to allocate from when the partial list is empty: an empty slab, else a new one; 0 when full. */
  #refill(): number {
    const h = this.emptyHead;
    if (h === 0) return this.#newSlab();
    this.move(this.#u32, h, EMPTY, PARTIAL);
    this.#emptyCount--;
    this.#workingSet.taken(this.#emptyCount);
    return h;
  }

  #newSlab(): number {
    const g = this.#g;
    const slab = this.#space.map(g.slabBytes, this.#locator.slabAlign);
    if (slab === NULL) return 0;
    const h = this.#locator.headerFor(slab);
    if (h === 0) {
      this.#space.unmap(slab, g.slabBytes);
      return 0;
    }
    const u32 = this.#refreshViews();
    const colour = this.#colouring ? this.#nextColour * g.colourStep : 0;
    this.#nextColour = (this.#nextColour + 1) % g.colours;
    initHeader(u32, this.#u16, g, h, this.#tag, slab, colour);
    this.#locator.register(slab, h);
    this.push(u32, h, PARTIAL);
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

  /** Moves slab `h`, which just got its first free object, out of the full list. */
  #leaveFull(u32: Uint32Array, h: number): void {
    if (this.#n === 1) {
      this.move(u32, h, FULL, EMPTY);
      this.#becameEmpty();
      return;
    }
    // An empty current slab may only stay in the partial list alone: retire it before another joins.
    const current = this.partial;
    if (current !== 0 && u32[(current >>> 2) + FREE] === this.#n) {
      this.move(u32, current, PARTIAL, EMPTY);
      this.#becameEmpty();
    }
    this.move(u32, h, FULL, PARTIAL);
  }

  #becameEmpty(): void {
    this.#emptyCount++;
    this.#releaseEmpty(this.#workingSet.due(this.#emptyCount));
  }

  /** Releases `count` empty slabs, the longest-empty first. */
  #releaseEmpty(count: number): number {
    for (let i = 0; i < count; i++) this.#release(this.emptyTail, EMPTY);
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
    this.unlink(u32, h, list);
    if (list === EMPTY) this.#emptyCount--;
    u32[w + TAG] = 0;
    u32[w + SELF] = 0;
    this.#locator.unregister(slab, h);
    this.#space.unmap(slab, g.slabBytes);
    this.#slabs--;
    this.#slabsReleased++;
  }

  /**
   * Takes the space's current views after a mapping (which may grow the buffer) or when the buffer was
   * detached (a `WebAssembly.Memory` grown elsewhere). The space is the view cache: it alone decides whether
   * its buffer changed. Its views have a fixed length even over a growable buffer (V8 optimises those far
   * better than length-tracking ones), and cover every slab this allocator mapped before the call. The u16
   * view of the free stacks is remade only when the space hands out another u8.
   */
  #refreshViews(): Uint32Array {
    const space = this.#space;
    const u8 = space.u8;
    if (u8 !== this.#u8) {
      this.#u8 = u8;
      this.#u16 = uint16Over(u8);
    }
    this.#u32 = space.u32;
    return this.#u32;
  }
}

function doubleFree(ptr: Ptr): RangeError {
  return new RangeError(`ptr must be a live object; got ${ptr} (double free)`);
}
