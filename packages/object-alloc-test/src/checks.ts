/**
 * The checks of a general allocator ({@link Alloc}). Each runs on a fresh allocator from the adapter and stops
 * at the first violation, which it reports with the seed and the (shrunk) operations that lead to it.
 *
 * @module
 */
import fc from "fast-check";
import type { AllocAdapter } from "./adapter.js";
import { Rng } from "./random.js";
import type { CheckName, CheckResult } from "./report.js";
import { DEFAULT_MIX, MATRIX_SIZES, type Mix, opsArbitrary, randomOps, shrinkOps } from "./sequences.js";
import { describeError, type Op, runOps, Session, type Target, Violation } from "./session.js";

/** What every check of one run shares. */
export interface CheckContext {
  create(): Target;
  seed: number;
  /** Operations of the `corruption` run. */
  ops: number;
  /** Cases of the `property` run. */
  propertyRuns: number;
  maxAlign: number;
  pageSize: number;
  /** What random sequences draw: every size for a general allocator, the one layout for an untyped one. */
  mix: Mix;
}

/** Runs `body`; a {@link Violation} it throws becomes the check's failure. */
export function runCheck(check: CheckName, seed: number, body: () => string | CheckResult): CheckResult {
  try {
    const outcome = body();
    return typeof outcome === "string" ? { check, status: "pass", detail: outcome } : outcome;
  } catch (error) {
    const violation =
      error instanceof Violation ? error : new Violation("threw", `the check threw ${describeError(error)}`);
    return fail(check, seed, violation);
  }
}

/** A failed result for `violation`. */
export function fail(check: CheckName, seed: number, violation: Violation, ops = violation.log): CheckResult {
  return {
    check,
    status: "fail",
    detail: violation.message,
    failure: { kind: violation.kind, message: violation.message, seed, ops },
  };
}

/** A skipped result: the allocator cannot be asked this, for `reason`. */
export function skip(check: CheckName, reason: string): CheckResult {
  return { check, status: "skip", detail: reason };
}

/**
 * Runs `ops` on a fresh allocator; on a violation, shrinks the sequence and replays the shrunk one to log it.
 * Returns the session of a passing run.
 */
function runShrinking(ctx: CheckContext, ops: Op[], keep = 64): Session {
  const { violation, session, executed } = runOps(ctx.create(), ops, ctx.seed, keep);
  if (!violation) return session;
  const shrunk = shrinkOps(() => ctx.create(), ops.slice(0, executed), violation, ctx.seed);
  const replay = runOps(ctx.create(), shrunk.ops, ctx.seed);
  throw replay.violation ?? shrunk.violation;
}

function summary(session: Session, what: string): string {
  return `${what}: ${session.allocs} blocks, ${session.nulls} null`;
}

/** The Rust crate's test: seeded random allocs, frees and reallocs, every block a corruption tester object. */
export function corruption(ctx: CheckContext): CheckResult {
  return runCheck("corruption", ctx.seed, () => {
    const ops = randomOps(new Rng(ctx.seed), ctx.ops, ctx.mix);
    return summary(runShrinking(ctx, ops), `${ctx.ops} random ops`);
  });
}

/** Property-based runs: fast-check draws sequences and shrinks a failing one to the smallest it can find. */
export function property(ctx: CheckContext): CheckResult {
  return runCheck("property", ctx.seed, () => {
    const result = fc.check(
      fc.property(
        opsArbitrary(ctx.mix),
        (ops) => runOps(ctx.create(), ops, ctx.seed).violation === undefined,
      ),
      { seed: ctx.seed | 0, numRuns: ctx.propertyRuns },
    );
    if (result.failed && result.counterexample) {
      const replay = runOps(ctx.create(), result.counterexample[0], ctx.seed);
      if (replay.violation) throw replay.violation;
    }
    if (result.failed) throw new Violation("threw", `fast-check failed: ${String(result.errorInstance)}`);
    return `${result.numRuns} fast-check sequences`;
  });
}

/** Churn of one size class at a time, where a free-list bug hands a live block out again. */
export function noDoubleHandOut(ctx: CheckContext): CheckResult {
  return runCheck("no-double-hand-out", ctx.seed, () => {
    const rng = new Rng(ctx.seed);
    let blocks = 0;
    const sizes = isFixed(ctx) ? ctx.mix.sizes : [8, 16, 24, 64, 256, 1024];
    for (const size of sizes) {
      const mix: Mix = {
        ...ctx.mix,
        sizes: [size],
        aligns: [ctx.mix.aligns[0]],
        realloc: false,
        maxLive: 24,
      };
      blocks += runShrinking(ctx, randomOps(rng, 1500, mix)).allocs;
    }
    return `${sizes.length} size classes x 1500 ops: ${blocks} blocks`;
  });
}

/** Many blocks of mixed sizes and alignments live at once, then churn: no two live blocks may share a byte. */
export function noOverlap(ctx: CheckContext): CheckResult {
  return runCheck("no-overlap", ctx.seed, () => {
    const rng = new Rng(ctx.seed);
    const sizes = isFixed(ctx) ? ctx.mix.sizes : MATRIX_SIZES.slice(0, 30);
    const aligns = isFixed(ctx) ? ctx.mix.aligns : upTo(ctx, [1, 4, 8, 16, 64]);
    const fill: Op[] = Array.from({ length: 400 }, () => ({
      op: "alloc",
      size: rng.pick(sizes),
      align: rng.pick(aligns),
    }));
    const churn = randomOps(rng, 2000, { ...ctx.mix, realloc: false, maxLive: 600 });
    return summary(runShrinking(ctx, [...fill, ...churn]), "400 live, then 2000 ops");
  });
}

/** Every power of two up to the page size, at small, odd and aligned sizes, all live together. */
export function alignment(ctx: CheckContext): CheckResult {
  return runCheck("alignment", ctx.seed, () => {
    const ops: Op[] = [];
    const top = Math.min(ctx.pageSize, ctx.maxAlign);
    for (let align = 1; align <= top; align *= 2) {
      for (const size of [1, 24, align, align + 3]) ops.push({ op: "alloc", size, align });
    }
    const session = runShrinking(ctx, ops);
    const capped =
      top < ctx.pageSize ? ` (the adapter declares maxAlign ${ctx.maxAlign}; larger ones not asked)` : "";
    return summary(session, `alignments 1 to ${top}`) + capped;
  });
}

/** Live blocks keep their bytes while other blocks come and go: every block verified every few operations. */
export function contents(ctx: CheckContext): CheckResult {
  return runCheck("contents", ctx.seed, () => {
    const ops = randomOps(new Rng(ctx.seed), 3000, { ...ctx.mix, maxLive: 64 }).flatMap((op, i) =>
      i % 8 === 7 ? [op, { op: "verify" } as Op] : [op],
    );
    return summary(runShrinking(ctx, ops), "3000 ops, all live blocks verified every 8");
  });
}

/** Grow, shrink and move blocks; the kept bytes must survive, and a failed realloc must leave the block whole. */
export function realloc(ctx: CheckContext): CheckResult {
  return runCheck("realloc", ctx.seed, () => {
    const rng = new Rng(ctx.seed);
    const ops: Op[] = [];
    for (let i = 0; i < 8; i++)
      ops.push({ op: "alloc", size: rng.pick([8, 24, 100]), align: rng.pick(upTo(ctx, [1, 8, 16])) });
    for (let i = 0; i < 1500; i++) {
      const r = rng.below(10);
      if (r < 6) ops.push({ op: "realloc", index: rng.u32(), size: rng.pick(MATRIX_SIZES) });
      else if (r < 7) ops.push({ op: "realloc", index: rng.u32(), size: 2 ** 31 });
      else if (r < 9) ops.push({ op: "alloc", size: rng.pick(MATRIX_SIZES.slice(0, 25)), align: 8 });
      else ops.push({ op: "free", index: rng.u32() });
    }
    return summary(runShrinking(ctx, ops), "1500 ops, 60% reallocs, 10% too large to succeed");
  });
}

/** `allocZeroed` must zero memory that earlier blocks dirtied. */
export function zeroed(ctx: CheckContext): CheckResult {
  return runCheck("zeroed", ctx.seed, () => {
    const rng = new Rng(ctx.seed);
    const sizes = Array.from({ length: 200 }, () => rng.pick(MATRIX_SIZES.slice(0, 35)));
    const ops: Op[] = [
      ...sizes.map((size): Op => ({ op: "alloc", size, align: 8 })),
      ...sizes.map((): Op => ({ op: "free", index: rng.u32() })),
      ...sizes.map((size): Op => ({ op: "alloc", size, align: 8, zeroed: true })),
    ];
    return summary(runShrinking(ctx, ops), "200 dirty blocks freed, then 200 allocZeroed");
  });
}

/** `usableSize` is at least the request, and every usable byte may be written without harm. */
export function usableSize(ctx: CheckContext): CheckResult {
  if (!ctx.create().usableSize) return skip("usable-size", "the allocator has no usableSize");
  return runCheck("usable-size", ctx.seed, () => {
    const session = new Session(ctx.create(), ctx.seed);
    for (const size of MATRIX_SIZES) {
      const block = session.alloc(size, 8);
      if (block) session.claimUsable(block);
    }
    session.freeAll();
    return summary(session, "every matrix size, all usable bytes written");
  });
}

const OOM_CAP = 1 << 16;

/** Fills the heap until it returns null (never throwing), then checks it still works. */
export function outOfMemory(ctx: CheckContext): CheckResult {
  return runCheck("out-of-memory", ctx.seed, () => {
    const session = new Session(ctx.create(), ctx.seed, 64);
    let last: ReturnType<Session["alloc"]>;
    let count = 0;
    for (const size of isFixed(ctx) ? ctx.mix.sizes : [65536, 4096, 256, 16]) {
      for (; count < OOM_CAP; count++) {
        const block = session.alloc(size, 8);
        if (!block) break;
        last = block;
      }
    }
    if (count >= OOM_CAP || !last)
      return skip("out-of-memory", `the heap did not run out within ${OOM_CAP} blocks`);
    // A realloc that must move (its neighbour is live) fails, and must leave the block whole.
    if (ctx.mix.realloc && session.live.length > 1)
      session.realloc(session.live[0], session.live[0].size * 2);
    session.free(last);
    if (!session.alloc(last.size, 8)) {
      throw new Violation(
        "out-of-memory",
        `after freeing ${last.name} (${last.size} B), alloc(${last.size},8) is still null`,
        session.log.slice(-8),
      );
    }
    session.freeAll();
    return `null after ${session.allocs} blocks, then usable again`;
  });
}

/** The bad sizes of glibc's tst-malloc-too-large and their JavaScript cousins. */
export const BAD_SIZES: readonly number[] = [
  Number.NaN,
  2 ** 32 - 4,
  0.5,
  -1,
  2 ** 32 - 8,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 33,
  2 ** 53,
  2 ** 64,
  Number.POSITIVE_INFINITY,
  -8,
  -(2 ** 31),
  -(2 ** 32) + 16,
  1.5,
  24.5,
];

/**
 * Every bad size through alloc, allocZeroed and realloc at alignments 1, 8 and 4096, each on a fresh allocator:
 * it must throw or return null, and a rejected realloc must leave the block whole.
 */
export function tooLarge(ctx: CheckContext): CheckResult {
  const accepted: string[] = [];
  let first: Violation | undefined;
  let asked = 0;
  for (const size of BAD_SIZES) {
    for (const align of [1, 8, 4096].filter((a) => a <= ctx.maxAlign)) {
      for (const op of ["alloc", "allocZeroed", "realloc"] as const) {
        asked++;
        const violation = askBadSize(ctx, op, size, align);
        if (violation) {
          accepted.push(violation.message);
          first ??= violation;
        }
      }
    }
  }
  if (!first) return { check: "too-large", status: "pass", detail: `${asked} bad requests, all rejected` };
  // Each accepted request is its own reproduction (on a fresh allocator), so the failure lists them all.
  const result = fail("too-large", ctx.seed, first, accepted);
  result.detail = `accepted ${accepted.length} of ${asked} bad requests, e.g. ${accepted.slice(0, 3).join(", ")}`;
  return result;
}

function askBadSize(
  ctx: CheckContext,
  op: "alloc" | "allocZeroed" | "realloc",
  size: number,
  align: number,
): Violation | undefined {
  const target = ctx.create();
  const session = new Session(target, ctx.seed);
  try {
    if (op !== "realloc") {
      const call = `${op}(${size},${align})`;
      let ptr = 0;
      try {
        ptr =
          op === "alloc" || !target.allocZeroed ? target.alloc(size, align) : target.allocZeroed(size, align);
      } catch {
        return undefined;
      }
      return ptr ? new Violation("accepted-bad-size", `${call}->${ptr}`, [`${call}->${ptr}`]) : undefined;
    }
    if (!target.realloc) return undefined;
    const block = session.alloc(16, align);
    if (!block) return undefined;
    try {
      const moved = target.realloc(block.ptr, size, align);
      if (moved)
        return new Violation("accepted-bad-size", `realloc(p0,${size})->${moved}`, [
          ...session.log,
          `realloc(p0,${size})->${moved}`,
        ]);
    } catch {
      // Rejected by throwing: the block must still be whole.
    }
    session.free(block);
    return undefined;
  } catch (error) {
    return error instanceof Violation ? error : new Violation("threw", describeError(error));
  }
}

/** Fits blocks of `size` until null (up to a cap), then frees them last-first; returns how many fitted. */
function capacity(target: Target, size: number, align: number): number {
  const ptrs: number[] = [];
  while (ptrs.length < OOM_CAP) {
    const ptr = target.alloc(size, align);
    if (!ptr) break;
    ptrs.push(ptr);
  }
  for (let i = ptrs.length - 1; i >= 0; i--) target.dealloc(ptrs[i], size, align);
  return ptrs.length;
}

const LEAK_ROUNDS = 4;
const LEAK_ROUND_OPS = 500;

/**
 * After everything is freed, all memory is reusable. The same round of random operations runs four times, all
 * blocks freed after each; between rounds, a probe counts the blocks that fit. An allocator may keep freed memory
 * cached for the sizes it served (so the count may drop after the first round), but a repeat of the same round
 * must not lose more: a count that keeps falling, or reaches 0, is a leak.
 */
export function leak(ctx: CheckContext): CheckResult {
  return runCheck("leak", ctx.seed, () => {
    const target = ctx.create();
    const [size, align] = isFixed(ctx) ? [ctx.mix.sizes[0], ctx.mix.aligns[0]] : [64, 8];
    const fits = [capacity(target, size, align)];
    if (fits[0] >= OOM_CAP)
      return skip("leak", `the heap did not run out within ${OOM_CAP} blocks, so a leak cannot be measured`);
    const round = randomOps(new Rng(ctx.seed), LEAK_ROUND_OPS, { ...ctx.mix, maxLive: 32 });
    for (let r = 1; r <= LEAK_ROUNDS; r++) {
      const session = new Session(target, ctx.seed, 16);
      for (const op of round) session.run(op);
      session.freeAll();
      fits.push(capacity(target, size, align));
    }
    const [fresh, first, last] = [fits[0], fits[1], fits[LEAK_ROUNDS]];
    if (last < first || (last === 0 && fresh > 0)) {
      const log = fits.map((n, r) =>
        r === 0
          ? `new: ${n} blocks of ${size} B fit`
          : `round ${r} (${LEAK_ROUND_OPS} ops, free all): ${n} fit`,
      );
      throw new Violation(
        "leak",
        `after freeing everything, blocks of ${size} B that fit: ${fits.join(" -> ")} (new, then after each round)`,
        log,
      );
    }
    return `${fits.join(" -> ")} blocks of ${size} B fit (new, then after ${LEAK_ROUNDS} rounds of the same ${LEAK_ROUND_OPS} ops)`;
  });
}

/** The Rust crate's size x alignment matrix: a short corruption run per size (1 B to 8 KiB) and alignment. */
export function sizeAlignMatrix(ctx: CheckContext, opsPerCase = 200): CheckResult {
  return runCheck("size-align-matrix", ctx.seed, () => {
    const rng = new Rng(ctx.seed);
    let cases = 0;
    for (const size of MATRIX_SIZES) {
      for (
        let align = 1;
        align <= Math.min(size, ctx.maxAlign, ctx.pageSize) && size % align === 0;
        align *= 2
      ) {
        runShrinking(
          ctx,
          randomOps(rng, opsPerCase, { sizes: [size], aligns: [align], realloc: false, maxLive: 48 }),
        );
        cases++;
      }
    }
    return `${cases} (size, alignment) cases x ${opsPerCase} ops`;
  });
}

/** The single-threaded checks of a general allocator, by name. */
export const ALLOC_CHECKS = {
  corruption,
  property,
  "no-double-hand-out": noDoubleHandOut,
  "no-overlap": noOverlap,
  alignment,
  contents,
  realloc,
  zeroed,
  "usable-size": usableSize,
  "out-of-memory": outOfMemory,
  "too-large": tooLarge,
  leak,
  "size-align-matrix": (ctx) => sizeAlignMatrix(ctx),
} as const satisfies Partial<Record<CheckName, (ctx: CheckContext) => CheckResult>>;

/** The name of a single-threaded check of a general allocator. */
export type AllocCheckName = keyof typeof ALLOC_CHECKS;

/** The context of a run on `adapter`. */
export function contextFor(
  adapter: AllocAdapter,
  options: { seed: number; ops: number; propertyRuns: number },
): CheckContext {
  return {
    create: () => adapter.create(),
    seed: options.seed,
    ops: options.ops,
    propertyRuns: options.propertyRuns,
    maxAlign: adapter.limits?.maxAlign ?? 2 ** 31,
    pageSize: adapter.limits?.pageSize ?? 4096,
    mix: { ...DEFAULT_MIX, aligns: DEFAULT_MIX.aligns.filter((a) => a <= (adapter.limits?.maxAlign ?? a)) },
  };
}

/** The alignments of `aligns` the allocator supports. */
function upTo(ctx: CheckContext, aligns: readonly number[]): number[] {
  return aligns.filter((a) => a <= ctx.maxAlign);
}

/** True when the context draws one layout only (an untyped object allocator). */
function isFixed(ctx: CheckContext): boolean {
  return ctx.mix.sizes.length === 1;
}
