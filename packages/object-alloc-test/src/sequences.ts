/**
 * Operation sequences: seeded random ones, fast-check's arbitrary for property runs, and the shrinker that cuts
 * a failing sequence down to the few operations that still fail.
 *
 * @module
 */
import fc from "fast-check";
import type { Rng } from "./random.js";
import { type Op, runOps, type Target, type Violation } from "./session.js";

/**
 * The object sizes of the Rust crate's `types.rs`: every power of two up to 8192, the midpoints `x + x/2`, and a
 * prime between. The size x alignment matrix runs each.
 */
export const MATRIX_SIZES: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 19, 24, 29, 32, 41, 48, 59, 64, 73, 96, 113, 128, 157, 192, 229,
  256, 317, 384, 457, 512, 617, 768, 1024, 1277, 1536, 1777, 2048, 2557, 3072, 3539, 4096, 5119, 6144, 7151,
  8192,
];

const SMALL_SIZES = MATRIX_SIZES.filter((s) => s <= 512);
const ALIGNS = [1, 2, 4, 8, 8, 8, 16, 32, 64];

/** How a random sequence is drawn. */
export interface Mix {
  /** Sizes to draw from. */
  sizes: readonly number[];
  /** Alignments to draw from. */
  aligns: readonly number[];
  /** Whether reallocs and zeroed allocations are drawn (an untyped object allocator has neither). */
  realloc: boolean;
  /** Keep about this many blocks live at most. */
  maxLive: number;
}

/** The default mix: mostly small blocks, sometimes up to 8 KiB, every common alignment. */
export const DEFAULT_MIX: Mix = { sizes: MATRIX_SIZES, aligns: ALIGNS, realloc: true, maxLive: 256 };

/** Draws one size: three times in four a small one. */
function drawSize(rng: Rng, mix: Mix): number {
  const small = mix.sizes.filter((s) => s <= 512);
  return rng.chance(0.75) && small.length > 0 ? rng.pick(small) : rng.pick(mix.sizes);
}

/** `count` random operations: allocations and frees in balance around `maxLive`, some reallocs and verifies. */
export function randomOps(rng: Rng, count: number, mix: Mix = DEFAULT_MIX): Op[] {
  const ops: Op[] = [];
  let live = 0;
  for (let i = 0; i < count; i++) {
    const r = rng.u32() / 2 ** 32;
    const pressure = live / mix.maxLive;
    if (live > 0 && r < 0.3 + 0.4 * pressure) {
      ops.push({ op: "free", index: rng.u32() });
      live--;
    } else if (mix.realloc && live > 0 && r < 0.8) {
      ops.push({ op: "realloc", index: rng.u32(), size: drawSize(rng, mix) });
    } else if (r < 0.81) {
      ops.push({ op: "verify" });
    } else {
      ops.push({
        op: "alloc",
        size: drawSize(rng, mix),
        align: rng.pick(mix.aligns),
        zeroed: mix.realloc && rng.chance(0.1),
      });
      live++;
    }
  }
  return ops;
}

/** fast-check's arbitrary for operation sequences of the mix (fast-check shrinks these). */
export function opsArbitrary(mix: Mix = DEFAULT_MIX, maxLength = 120): fc.Arbitrary<Op[]> {
  const alloc = fc.record({
    op: fc.constant("alloc" as const),
    size: fc.constantFrom(
      ...(mix.sizes.some((s) => s <= 512) ? SMALL_SIZES.filter((s) => mix.sizes.includes(s)) : mix.sizes),
    ),
    align: fc.constantFrom(...mix.aligns),
    zeroed: mix.realloc ? fc.boolean() : fc.constant(false),
  });
  const free = fc.record({ op: fc.constant("free" as const), index: fc.nat(64) });
  const realloc = fc.record({
    op: fc.constant("realloc" as const),
    index: fc.nat(64),
    size: fc.constantFrom(...mix.sizes),
  });
  const op: fc.Arbitrary<Op> = mix.realloc
    ? fc.oneof(
        { arbitrary: alloc, weight: 4 },
        { arbitrary: free, weight: 3 },
        { arbitrary: realloc, weight: 2 },
      )
    : fc.oneof({ arbitrary: alloc, weight: 4 }, { arbitrary: free, weight: 3 });
  return fc.array(op, { maxLength });
}

/**
 * Cuts a failing sequence down (delta debugging): drops chunks of operations, halving the chunk size, and
 * keeps every cut after which a fresh allocator still fails with the same kind. Stops after `budgetMs`.
 */
export function shrinkOps(
  create: () => Target,
  ops: readonly Op[],
  failure: Violation,
  seed: number,
  budgetMs = 2000,
): { ops: Op[]; violation: Violation } {
  const deadline = Date.now() + budgetMs;
  let best = [...ops];
  let found = failure;
  const fails = (candidate: Op[]): Violation | undefined => {
    const { violation } = runOps(create(), candidate, seed);
    return violation?.kind === failure.kind ? violation : undefined;
  };
  // Passes over the sequence until one removes nothing (a cut can make earlier cuts possible).
  for (let length = Number.POSITIVE_INFINITY; best.length < length && Date.now() < deadline; ) {
    length = best.length;
    for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && Date.now() < deadline; chunk >>= 1) {
      for (let start = best.length - chunk; start >= 0 && Date.now() < deadline; start -= chunk) {
        const candidate = [...best.slice(0, start), ...best.slice(start + chunk)];
        const violation = fails(candidate);
        if (violation) {
          best = candidate;
          found = violation;
        }
      }
    }
  }
  return { ops: best, violation: found };
}
