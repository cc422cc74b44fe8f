/**
 * bindMalloc: the C malloc family, with C semantics and errno, over any allocator of the suite.
 *
 * @module
 */
import {
  type Alloc,
  assertPtr,
  assertSize,
  isPowerOfTwo,
  MAX_ALIGN,
  MAX_SIZE,
  type Memory,
  NULL,
  nextPowerOfTwo,
  type Ptr,
} from "@allocators/object-alloc";
import {
  type Blocks,
  FinderBlocks,
  HeaderBlocks,
  type LayoutFinder,
  LookupBlocks,
  type RawAlloc,
} from "./layout-finder.js";
import { type ErrnoCodes, PLATFORMS, type Platform, type PlatformRules, POSIX_ERRNO } from "./platform.js";

/** Options of {@link bindMalloc}. Every one has a default. */
export interface MallocOptions {
  /** Whose documented semantics to follow (default `"glibc"`). */
  platform?: Platform;
  /** The alignment of every plain `malloc` block (default: the platform's, 16). A power of two, at least 4. */
  minAlign?: number;
  /** `sizeof(void *)`, which `posix_memalign` alignments must be a multiple of (default 4: wasm32). */
  pointerSize?: number;
  /** The page size of `valloc` and `pvalloc` (default 4096). */
  pageSize?: number;
  /**
   * The heap maximum: any request (header and padding included) above it fails with ENOMEM before the
   * allocator sees it (default and largest: 2^32, the wasm32 address space).
   */
  maxSize?: number;
  /** The numbers errno takes (default {@link POSIX_ERRNO}; {@link WASI_ERRNO} for wasi-libc modules). */
  errnoCodes?: ErrnoCodes;
  /** Where errno lives in the memory (4 bytes, 4-aligned); default: allocated on first {@link CMalloc.errnoLocation}. */
  errnoPtr?: Ptr;
  /** `"header"` forces the header strategy even when the allocator has a lookup (default `"auto"`). */
  layout?: "auto" | "header";
  /** For an allocator without `usableSize`: the finder that keeps its layouts, instead of a header. */
  finder?: LayoutFinder;
}

/** Sizes and alignments from JS may be any integer: one too large for the heap is ENOMEM, as in C. */
const MAX_NUMBER = Number.POSITIVE_INFINITY;

/**
 * The C malloc family over one allocator, for one thread: every function is a bound property, so it can be
 * destructured or handed to a wasm module as an import. Thread-safe exactly when the allocator is; bind once
 * per worker (errno is per binding, as it is per thread in C).
 *
 * Arguments are C's: sizes and alignments are integers (any non-negative integer: too large is ENOMEM, as a
 * `size_t` would be), pointers are offsets. A negative, fractional or NaN argument is a `RangeError` naming it.
 */
export class CMalloc {
  /** The rules of the platform followed. */
  readonly rules: PlatformRules;
  readonly #blocks: Blocks;
  readonly #minAlign: number;
  readonly #pointerSize: number;
  readonly #pageSize: number;
  readonly #limit: number;
  readonly #codes: ErrnoCodes;
  #errno = 0;
  #errnoPtr: Ptr;

  /** Use {@link bindMalloc}. */
  constructor(
    alloc: Alloc | RawAlloc,
    readonly options: MallocOptions = {},
  ) {
    const platform = options.platform ?? "glibc";
    if (!Object.hasOwn(PLATFORMS, platform))
      throw new RangeError(`platform must be one of ${Object.keys(PLATFORMS).join(", ")}; got ${platform}`);
    this.rules = PLATFORMS[platform];
    this.#blocks = chooseBlocks(alloc, options);
    this.#minAlign = checkedAlign(options.minAlign ?? this.rules.minAlign, "minAlign", 4);
    this.#pointerSize = checkedAlign(options.pointerSize ?? 4, "pointerSize", 1);
    this.#pageSize = checkedAlign(options.pageSize ?? 4096, "pageSize", 1);
    assertSize(options.maxSize ?? MAX_SIZE, "maxSize");
    this.#limit = options.maxSize ?? MAX_SIZE;
    this.#codes = options.errnoCodes ?? POSIX_ERRNO;
    this.#errnoPtr = options.errnoPtr ?? NULL;
    if (this.#errnoPtr !== NULL) assertErrnoPtr(this.#errnoPtr, this.memory);
  }

  /** The memory the pointers address. */
  get memory(): Memory {
    return this.#blocks.memory;
  }

  /** The last error: ENOMEM or EINVAL (see {@link MallocOptions.errnoCodes}); never cleared by a success, as in C. */
  get errno(): number {
    return this.#errnoPtr === NULL ? this.#errno : this.memory.i32[this.#errnoPtr >>> 2];
  }
  set errno(value: number) {
    this.#errno = value;
    if (this.#errnoPtr !== NULL) this.memory.i32[this.#errnoPtr >>> 2] = value;
  }

  /**
   * C's `__errno_location()`: the address of this binding's errno in the memory, where a wasm module reads and
   * writes it. Allocated (4 zeroed bytes) on the first call unless {@link MallocOptions.errnoPtr} was given;
   * from then on {@link CMalloc.errno} reads and writes that word. Returns 0 when it cannot be allocated.
   */
  readonly errnoLocation = (): Ptr => {
    if (this.#errnoPtr === NULL) {
      const ptr = this.#blocks.allocate(4, this.#minAlign, true);
      if (ptr === NULL) return NULL;
      this.#errnoPtr = ptr;
      this.errno = this.#errno;
    }
    return this.#errnoPtr;
  };

  /** `malloc(size)`: a block aligned to `minAlign`; `malloc(0)` is a unique non-null block; NULL and ENOMEM when out of memory. */
  readonly malloc = (size: number): Ptr => {
    assertSize(size, "size", MAX_NUMBER);
    return this.#allocate(size, this.#minAlign, false);
  };

  /** `free(ptr)`: returns a block; `free(NULL)` does nothing. */
  readonly free = (ptr: Ptr): void => {
    assertPtr(ptr);
    if (ptr !== NULL) this.#blocks.release(ptr);
  };

  /** `calloc(count, size)`: a zeroed block of `count * size` bytes; NULL and ENOMEM when the product is too large. */
  readonly calloc = (count: number, size: number): Ptr => {
    assertSize(count, "count", MAX_NUMBER);
    assertSize(size, "size", MAX_NUMBER);
    // The product is computed in doubles: it cannot wrap as a 32-bit size_t would, and when it is inexact it
    // is far above the limit anyway.
    return this.#allocate(count * size, this.#minAlign, true);
  };

  /**
   * `realloc(ptr, size)`: moves or resizes, keeping the first `min(old, size)` bytes. `realloc(NULL, n)` is
   * `malloc(n)`; `realloc(p, 0)` follows the platform ({@link PlatformRules.reallocZero}). On failure: NULL,
   * ENOMEM, and `ptr` still live and untouched.
   */
  readonly realloc = (ptr: Ptr, size: number): Ptr => {
    assertPtr(ptr);
    assertSize(size, "size", MAX_NUMBER);
    if (ptr === NULL) return this.#allocate(size, this.#minAlign, false);
    if (size === 0) return this.#reallocZero(ptr);
    if (size > this.#limit - this.#blocks.overhead(this.#minAlign)) return this.#outOfMemory();
    const moved = this.#blocks.resize(ptr, size, this.#minAlign);
    return moved === NULL ? this.#outOfMemory() : moved;
  };

  /** `reallocarray(ptr, count, size)`: `realloc(ptr, count * size)`, but NULL and ENOMEM (ptr untouched) when the product is too large. */
  readonly reallocarray = (ptr: Ptr, count: number, size: number): Ptr => {
    assertSize(count, "count", MAX_NUMBER);
    assertSize(size, "size", MAX_NUMBER);
    if (count * size > this.#limit) {
      assertPtr(ptr);
      return this.#outOfMemory();
    }
    return this.realloc(ptr, count * size);
  };

  /** `reallocf(ptr, size)` (BSD, macOS): `realloc`, but frees `ptr` when it fails. */
  readonly reallocf = (ptr: Ptr, size: number): Ptr => {
    const moved = this.realloc(ptr, size);
    const alreadyFreed = size === 0 && this.rules.reallocZero === "free";
    if (moved === NULL && ptr !== NULL && !alreadyFreed) this.#blocks.release(ptr);
    return moved;
  };

  /**
   * `posix_memalign(memptr, align, size)`: stores a block aligned to `align` at the u32 `memptr` and returns 0;
   * returns EINVAL unless `align` is a power of two multiple of `pointerSize` (`pointerSize` itself allowed),
   * ENOMEM when out of memory (errno is set too, as glibc and musl do); `memptr` is untouched on failure.
   */
  readonly posix_memalign = (memptr: Ptr, align: number, size: number): number => {
    assertSize(memptr, "memptr", this.memory.u8.byteLength - 4);
    assertSize(align, "align", MAX_NUMBER);
    assertSize(size, "size", MAX_NUMBER);
    if (!isPowerOfTwo(align) || align % this.#pointerSize !== 0) return this.#codes.EINVAL;
    const ptr = this.#allocate(size, Math.max(align, this.#minAlign), false);
    if (ptr === NULL) return this.#codes.ENOMEM;
    this.memory.view.setUint32(memptr, ptr, true);
    return 0;
  };

  /**
   * `aligned_alloc(align, size)` (C11): NULL and EINVAL unless `align` is a power of two (and, on macOS and
   * Windows, `size` a multiple of it); NULL and ENOMEM when out of memory.
   */
  readonly aligned_alloc = (align: number, size: number): Ptr => {
    assertSize(align, "align", MAX_NUMBER);
    assertSize(size, "size", MAX_NUMBER);
    if (!isPowerOfTwo(align) || (this.rules.alignedAllocNeedsMultiple && size % align !== 0)) {
      return this.#invalid();
    }
    return this.#allocate(size, Math.max(align, this.#minAlign), false);
  };

  /**
   * `memalign(align, size)` (legacy): glibc rounds an alignment that is not a power of two up to one, the
   * others fail with EINVAL; an alignment above 2^31 is EINVAL everywhere; 0 means the default alignment.
   */
  readonly memalign = (align: number, size: number): Ptr => {
    assertSize(align, "align", MAX_NUMBER);
    assertSize(size, "size", MAX_NUMBER);
    if (align > MAX_ALIGN) return this.#invalid();
    if (align !== 0 && !isPowerOfTwo(align)) {
      if (this.rules.memalignOddAlignment === "einval") return this.#invalid();
      align = nextPowerOfTwo(align);
    }
    return this.#allocate(size, Math.max(align, this.#minAlign), false);
  };

  /** `valloc(size)` (legacy): a block aligned to the page size. */
  readonly valloc = (size: number): Ptr => {
    assertSize(size, "size", MAX_NUMBER);
    return this.#allocate(size, Math.max(this.#pageSize, this.#minAlign), false);
  };

  /** `pvalloc(size)` (glibc): a page-aligned block of `size` rounded up to whole pages. */
  readonly pvalloc = (size: number): Ptr => {
    assertSize(size, "size", MAX_NUMBER);
    const pages = Math.ceil(size / this.#pageSize) * this.#pageSize;
    return this.#allocate(pages, Math.max(this.#pageSize, this.#minAlign), false);
  };

  /** `malloc_usable_size(ptr)`: the bytes usable at `ptr`, at least the size requested; 0 for NULL. */
  readonly malloc_usable_size = (ptr: Ptr): number => {
    assertPtr(ptr);
    return ptr === NULL ? 0 : this.#blocks.usable(ptr);
  };

  /** `free_sized(ptr, size)` (C23): `free`, after checking `size` fits the block (a `RangeError` otherwise). */
  readonly free_sized = (ptr: Ptr, size: number): void => {
    assertPtr(ptr);
    assertSize(size, "size", MAX_NUMBER);
    if (ptr === NULL) return;
    this.#assertFits(ptr, size);
    this.#blocks.release(ptr);
  };

  /** `free_aligned_sized(ptr, align, size)` (C23): `free` of an `aligned_alloc` block, checking `align` and `size`. */
  readonly free_aligned_sized = (ptr: Ptr, align: number, size: number): void => {
    assertPtr(ptr);
    assertSize(size, "size", MAX_NUMBER);
    if (ptr === NULL) return;
    if (!isPowerOfTwo(align) || ptr % align !== 0) {
      throw new RangeError(`align must be the alignment block ${ptr} was allocated with; got ${align}`);
    }
    this.#assertFits(ptr, size);
    this.#blocks.release(ptr);
  };

  #allocate(size: number, align: number, zeroed: boolean): Ptr {
    // Checked before the allocator sees it, header included: sizes near 2^32 cannot wrap around into a small
    // block, and the allocator's contract (sizes up to 2^32) always holds.
    if (size > this.#limit - this.#blocks.overhead(align)) return this.#outOfMemory();
    const ptr = this.#blocks.allocate(size, align, zeroed);
    return ptr === NULL ? this.#outOfMemory() : ptr;
  }

  #reallocZero(ptr: Ptr): Ptr {
    switch (this.rules.reallocZero) {
      case "free":
        this.#blocks.release(ptr);
        return NULL;
      case "shrink": {
        const moved = this.#blocks.resize(ptr, 0, this.#minAlign);
        return moved === NULL ? this.#outOfMemory() : moved;
      }
      case "fresh": {
        const fresh = this.#allocate(0, this.#minAlign, false);
        if (fresh !== NULL) this.#blocks.release(ptr);
        return fresh;
      }
    }
  }

  #assertFits(ptr: Ptr, size: number): void {
    const usable = this.#blocks.usable(ptr);
    if (size > usable) {
      throw new RangeError(
        `size must be the size block ${ptr} was allocated with (at most ${usable}); got ${size}`,
      );
    }
  }

  #outOfMemory(): Ptr {
    this.errno = this.#codes.ENOMEM;
    return NULL;
  }

  #invalid(): Ptr {
    this.errno = this.#codes.EINVAL;
    return NULL;
  }
}

/**
 * Binds the C malloc family to `alloc`. An {@link Alloc} (it has `usableSize`) is used as it is: its own lookup
 * finds each block's layout, as elfmalloc's does in the Rust original. A {@link RawAlloc} (no `usableSize`,
 * `dealloc` needs the layout) gets a {@link LayoutFinder} when one is given, else an 8-byte header per block.
 *
 * @example
 * ```ts
 * const memory = new MemoryViews(new ArrayBuffer(1 << 20));
 * const c = bindMalloc(new ArenaAlloc(memory, 0, 1 << 20));
 * const p = c.malloc(100);
 * c.realloc(p, 2 ** 32); // 0: too large, p untouched
 * c.errno;               // 12 (ENOMEM)
 * c.free(p);
 * ```
 */
export function bindMalloc(alloc: Alloc | RawAlloc, options: MallocOptions = {}): CMalloc {
  return new CMalloc(alloc, options);
}

function chooseBlocks(alloc: Alloc | RawAlloc, options: MallocOptions): Blocks {
  const hasLookup = typeof alloc.usableSize === "function";
  if (hasLookup && options.layout !== "header") return new LookupBlocks(alloc as Alloc);
  if (options.finder && options.layout !== "header")
    return new FinderBlocks(alloc as RawAlloc, options.finder);
  return new HeaderBlocks(alloc as RawAlloc);
}

function checkedAlign(value: number, name: string, least: number): number {
  if (!isPowerOfTwo(value) || value < least) {
    throw new RangeError(`${name} must be a power of two of at least ${least}; got ${value}`);
  }
  return value;
}

function assertErrnoPtr(ptr: Ptr, memory: Memory): void {
  assertSize(ptr, "errnoPtr", memory.u8.byteLength - 4);
  if (ptr % 4 !== 0) throw new RangeError(`errnoPtr must be 4-aligned; got ${ptr}`);
}
