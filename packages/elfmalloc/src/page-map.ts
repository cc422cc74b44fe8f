/**
 * The page map: for every 16 KiB granule of the heap, what lives there. It is how `free(ptr)` finds what the
 * block belongs to (a slab and its class, a medium chunk, a large block) without a size, in one load, for any
 * pointer.
 *
 * Two u32 per granule `g = ptr >>> 14`:
 * ```
 * [2g]     base | kind      base: the 16 KiB-aligned start of the run: slab, medium chunk or large block
 *                                 (its low 14 bits are free for the kind)
 *                           kind: 0 = not this heap's, 1 = slab (KIND_SLAB), 2 = large block (KIND_LARGE),
 *                                 3 = large block parked in the large-block cache (KIND_CACHED: free, not live),
 *                                 4 = medium chunk (KIND_MEDIUM, medium-chunk.ts)
 * [2g + 1] aux              slab: its class index;  medium chunk or large block: its length in granules
 * ```
 * Every granule of a run carries the same entry, so an interior pointer still finds its run's start.
 * Entries are written with plain stores by the thread that maps the slab, chunk or large block, before any
 * pointer into it exists; whoever frees that pointer received it through something that synchronises (an
 * Atomics operation or a message), which makes the stores visible. check() and snapshot() walk the runs in
 * address order with {@link forEachRun}.
 *
 * @module
 */
import { nextPowerOfTwo } from "@allocators/object-alloc";

/** Bytes per granule: the unit of slabs, medium chunks and large blocks. */
export const GRANULE = 16384;
/** log2 of {@link GRANULE}. */
export const GRANULE_SHIFT = 14;

/** Entry kinds, in the low bits of an entry's first word. */
export const KIND_MASK = 7;
export const KIND_SLAB = 1;
export const KIND_LARGE = 2;
export const KIND_CACHED = 3;
export const KIND_MEDIUM = 4;

/**
 * The bytes the page map covers: `maxBytes` rounded up to a power of two, so that one mask tells whether a
 * pointer is a 16-aligned offset whose entry exists (see {@link pointerMask}).
 */
function mappedSpan(maxBytes: number): number {
  return nextPowerOfTwo(Math.max(maxBytes, GRANULE));
}

/** Bytes of the page map of a heap of `maxBytes`. */
export function pageMapBytes(maxBytes: number): number {
  return (mappedSpan(maxBytes) / GRANULE) * 8;
}

/**
 * A mask such that `((ptr & mask) >>> 0) === ptr` holds exactly for the 16-aligned integers below the span the
 * page map covers: one test for "an aligned pointer whose page-map entry exists" (a number that is fractional,
 * negative, too large or misaligned changes under the mask).
 */
export function pointerMask(maxBytes: number): number {
  return mappedSpan(maxBytes) - 16;
}

/** u32 index of the entry of `ptr` in a page map at byte offset `map`. */
export function entryIndex(map: number, ptr: number): number {
  return (map >>> 2) + (ptr >>> GRANULE_SHIFT) * 2;
}

/**
 * Records `bytes` from `base` as a slab of class `cls` ({@link KIND_SLAB}), or as a run whose second word is
 * its length in granules: a medium chunk ({@link KIND_MEDIUM}) or a large block, live ({@link KIND_LARGE}) or
 * cached ({@link KIND_CACHED}).
 */
export function setEntries(
  u32: Uint32Array,
  map: number,
  base: number,
  bytes: number,
  kind: number,
  cls = 0,
): void {
  const granules = bytes / GRANULE;
  const entry = base + kind;
  const aux = kind === KIND_SLAB ? cls : granules;
  // Entries that already say so are not written again (a slab reused for its class, a chunk taken back): a
  // store dirties the line for the other workers whose frees read neighbouring entries.
  for (let i = entryIndex(map, base), end = i + granules * 2; i < end; i += 2) {
    if (u32[i] !== entry || u32[i + 1] !== aux) {
      u32[i] = entry;
      u32[i + 1] = aux;
    }
  }
}

/** Forgets `bytes` from `base` (unmapped). */
export function clearEntries(u32: Uint32Array, map: number, base: number, bytes: number): void {
  const start = entryIndex(map, base);
  u32.fill(0, start, start + (bytes / GRANULE) * 2);
}

/**
 * Walks the entries of granules `[0, end)` in address order and calls `visit(granule, base, kind, aux)` at
 * each granule that has an entry (kind not 0) and that no earlier call skipped over (`base` and `kind` from its
 * first word, `aux` its second). `visit` returns how many granules to move on: the run's length to skip the
 * run's other granules, or 1 to look at the next granule too.
 */
export function forEachRun(
  u32: Uint32Array,
  map: number,
  end: number,
  visit: (granule: number, base: number, kind: number, aux: number) => number,
): void {
  for (let g = 0; g < end; ) {
    const e = entryIndex(map, g * GRANULE);
    const kind = u32[e] & KIND_MASK;
    g += kind === 0 ? 1 : visit(g, u32[e] - kind, kind, u32[e + 1]);
  }
}

/**
 * For check: walks the runs of granules `[0, end)` and reports entries that do not form one: a granule that
 * names another base than its own where a run should start, a run without a valid length (`slabGranules(cls)`
 * is the length of a slab of class `cls`, NaN for no class; a medium chunk must be `chunkGranules` long), and
 * granules of a run whose entries differ from its first. Calls `visit(base, kind, aux, granules)` for every run
 * with a valid length, in address order.
 */
export function checkRuns(
  u32: Uint32Array,
  map: number,
  end: number,
  slabGranules: (cls: number) => number,
  chunkGranules: number,
  problems: string[],
  visit: (base: number, kind: number, aux: number, granules: number) => void,
): void {
  forEachRun(u32, map, end, (g, base, kind, aux) => {
    if (base !== g * GRANULE) {
      problems.push(`page map: granule ${g} starts a run but names base ${base}`);
      return 1;
    }
    const granules = kind === KIND_SLAB ? slabGranules(aux) : aux;
    if (kind === KIND_MEDIUM && granules !== chunkGranules) {
      problems.push(`page map: medium chunk ${base} has length ${granules} granules`);
    }
    if (!(granules >= 1)) {
      problems.push(`page map: granule ${g} has a bad class or length ${aux}`);
      return 1;
    }
    // One problem per run, however many of its granules disagree (a worker killed while writing them).
    let disagree = 0;
    for (let k = 1; k < granules; k++) {
      const other = entryIndex(map, (g + k) * GRANULE);
      if (u32[other] !== base + kind || u32[other + 1] !== aux) disagree++;
    }
    if (disagree > 0) problems.push(`page map: ${disagree} granules disagree with the run at ${base}`);
    visit(base, kind, aux, granules);
    return granules;
  });
}
