/**
 * The C libraries whose malloc semantics a binding can follow, and the rules where they differ.
 *
 * @module
 */

/** A C library whose documented malloc behaviour {@link bindMalloc} reproduces. */
export type Platform = "glibc" | "musl" | "macos" | "windows";

/** What `realloc(p, 0)` does with a non-null `p`. */
export type ReallocZero =
  /** Frees `p` and returns NULL, errno untouched (glibc, MSVC CRT). */
  | "free"
  /** Resizes `p` to a minimal block and returns it (musl: a non-null pointer, possibly `p` itself). */
  | "shrink"
  /** Allocates a new minimal block, frees `p`, returns the new block (macOS `realloc(3)`). */
  | "fresh";

/** What `memalign` and `aligned_alloc` do with an alignment that is not a power of two. */
export type OddAlignment =
  /** Round the alignment up to the next power of two (glibc `memalign`). */
  | "round-up"
  /** Fail with EINVAL (musl, macOS, glibc >= 2.38 `aligned_alloc`). */
  | "einval";

/** The rules in which the modelled C libraries differ. */
export interface PlatformRules {
  /** The alignment of every `malloc` block: `alignof(max_align_t)` of the 64-bit targets, 16. */
  readonly minAlign: number;
  readonly reallocZero: ReallocZero;
  readonly memalignOddAlignment: OddAlignment;
  /** True when `aligned_alloc` rejects (EINVAL) a size that is not a multiple of the alignment (C11 as first published). */
  readonly alignedAllocNeedsMultiple: boolean;
}

/**
 * The rules of each platform. Sources: glibc `malloc/malloc.c` (`REALLOC_ZERO_BYTES_FREES`, `_mid_memalign`,
 * `aligned_alloc` since 2.38), musl `src/malloc/mallocng/realloc.c` and `src/malloc/memalign.c`, Apple's
 * `malloc(3)`/`aligned_alloc(3)` manual pages, Microsoft's CRT documentation of `realloc`. README.md has the
 * full table, including what each library lacks.
 */
export const PLATFORMS: Readonly<Record<Platform, PlatformRules>> = {
  glibc: {
    minAlign: 16,
    reallocZero: "free",
    memalignOddAlignment: "round-up",
    alignedAllocNeedsMultiple: false,
  },
  musl: {
    minAlign: 16,
    reallocZero: "shrink",
    memalignOddAlignment: "einval",
    alignedAllocNeedsMultiple: false,
  },
  macos: {
    minAlign: 16,
    reallocZero: "fresh",
    memalignOddAlignment: "einval",
    alignedAllocNeedsMultiple: true,
  },
  windows: {
    minAlign: 16,
    reallocZero: "free",
    memalignOddAlignment: "einval",
    alignedAllocNeedsMultiple: true,
  },
};

/** The errno values a binding reports. */
export interface ErrnoCodes {
  readonly ENOMEM: number;
  readonly EINVAL: number;
}

/** Linux, musl, macOS and MSVC all number them alike: ENOMEM 12, EINVAL 22. The default. */
export const POSIX_ERRNO: ErrnoCodes = { ENOMEM: 12, EINVAL: 22 };

/** wasi-libc's numbering (`<wasi/api.h>`), for modules built against it: ENOMEM 48, EINVAL 28. */
export const WASI_ERRNO: ErrnoCodes = { ENOMEM: 48, EINVAL: 28 };
