/**
 * The entry points: run every check on an allocator and get its {@link Report}.
 *
 * @module
 */
import type { Alloc, ObjectAlloc, UntypedObjectAlloc } from "@allocators/object-alloc";
import {
  type Adapter,
  type AllocAdapter,
  allocAdapter,
  isShareable,
  type ObjectAdapter,
  type UntypedAdapter,
} from "./adapter.js";
import { ALLOC_CHECKS, type AllocCheckName, type CheckContext, contextFor, skip } from "./checks.js";
import { objectChecks, type TestObject } from "./objects.js";
import { randomSeed } from "./random.js";
import { type CheckName, type CheckResult, MEMORY_CHECKS, makeReport, type Report } from "./report.js";
import { DEFAULT_MIX, type Mix } from "./sequences.js";
import { untypedTarget } from "./untyped.js";
import { type WorkerHost, workersResult } from "./workers.js";

/** Options of a run. */
export interface CheckOptions {
  /** The seed of every random choice; a failure replays from it. Default: a random seed (reported). */
  seed?: number;
  /** Operations of the `corruption` run. Default 100 000. */
  ops?: number;
  /** Sequences fast-check tries in the `property` run. Default 100. */
  propertyRuns?: number;
  /** Run only these checks (the others are not in the report). */
  only?: readonly CheckName[];
  /** The `workers` check: how many workers, which host starts them, and the adapter module's URL. */
  workers?: { count: number; host: WorkerHost; url: string | URL; ops?: number };
}

const DEFAULT_OPS = 100_000;
const DEFAULT_PROPERTY_RUNS = 100;

function settings(options: CheckOptions) {
  return {
    seed: (options.seed ?? randomSeed()) >>> 0,
    ops: options.ops ?? DEFAULT_OPS,
    propertyRuns: options.propertyRuns ?? DEFAULT_PROPERTY_RUNS,
  };
}

function selected(options: CheckOptions, results: CheckResult[]): CheckResult[] {
  return options.only ? results.filter((r) => options.only!.includes(r.check)) : results;
}

/** Runs the checks of `names` that the options select, in that order. */
function runChecks(
  options: CheckOptions,
  ctx: CheckContext,
  names: readonly AllocCheckName[],
): CheckResult[] {
  return names
    .filter((name) => !options.only || options.only.includes(name))
    .map((name) => ALLOC_CHECKS[name](ctx));
}

/**
 * Checks a general allocator ({@link Alloc}): every check of the report card, each on a fresh allocator from
 * `factory` (a function, or an {@link AllocAdapter}).
 *
 * @example
 * ```ts
 * const report = await checkAlloc(() => new ArenaAlloc(new MemoryViews(new ArrayBuffer(1 << 20)), 0, 1 << 20));
 * console.log(formatReport(report));
 * ```
 */
export async function checkAlloc(
  factory: (() => Alloc) | AllocAdapter,
  options: CheckOptions = {},
): Promise<Report> {
  const adapter = allocAdapter(factory);
  const run = settings(options);
  const ctx = contextFor(adapter, run);
  const results = runChecks(options, ctx, Object.keys(ALLOC_CHECKS) as AllocCheckName[]);
  results.push(
    ...selected(options, [
      skip("object-cache", "a general allocator hands out memory, not constructed objects"),
    ]),
  );
  if (!options.only || options.only.includes("workers"))
    results.push(await workersCheck(adapter, options, run, { ...DEFAULT_MIX, maxLive: 64 }));
  return makeReport(adapter.name, run.seed, results);
}

/**
 * Checks an allocator of fixed-layout blocks ({@link UntypedObjectAlloc}): the general checks asked only its
 * layout; realloc, zeroing, usable size and the bad sizes do not apply and are skipped with that reason.
 */
export async function checkUntypedObjectAlloc(
  factory: (() => UntypedObjectAlloc) | UntypedAdapter,
  options: CheckOptions = {},
): Promise<Report> {
  const adapter: UntypedAdapter =
    typeof factory === "function" ? { name: "untyped allocator", kind: "untyped", create: factory } : factory;
  const run = settings(options);
  const { layout } = adapter.create();
  const ctx: CheckContext = {
    create: () => untypedTarget(adapter.create()),
    ...run,
    maxAlign: layout.align,
    pageSize: layout.align,
    mix: { sizes: [layout.size], aligns: [layout.align], realloc: false, maxLive: 256 },
  };
  const results = runChecks(options, ctx, [
    "corruption",
    "property",
    "no-double-hand-out",
    "no-overlap",
    "alignment",
    "contents",
    "out-of-memory",
    "leak",
  ]);
  const why = "an untyped object allocator has one layout: no size argument, realloc, zeroing or usable size";
  results.push(
    ...selected(
      options,
      (["realloc", "zeroed", "usable-size", "too-large", "size-align-matrix"] as const).map((name) =>
        skip(name, why),
      ),
    ),
  );
  results.push(...selected(options, [skip("object-cache", "untyped blocks carry no constructed objects")]));
  if (!options.only || options.only.includes("workers"))
    results.push(await workersCheck(adapter, options, run, { ...ctx.mix, maxLive: 64 }));
  return makeReport(`${adapter.name} (${layout})`, run.seed, results);
}

/**
 * Checks an allocator of JavaScript objects ({@link ObjectAlloc}): `factory` builds one around the constructor
 * the check gives it. The constructed-object caching contract is checked: every object handed out is either
 * freshly constructed or exactly as it was when given back.
 */
export async function checkObjectAlloc(
  factory: (<T extends object>(construct: () => T) => ObjectAlloc<T>) | ObjectAdapter,
  options: CheckOptions = {},
): Promise<Report> {
  const adapter: ObjectAdapter =
    typeof factory === "function" ? { name: "object allocator", kind: "object", create: factory } : factory;
  const run = settings(options);
  const results = selected(
    options,
    objectChecks((construct: () => TestObject) => adapter.create(construct), run),
  );
  const why = "an object allocator hands out JavaScript objects, not memory";
  results.push(
    ...selected(
      options,
      MEMORY_CHECKS.map((name) => skip(name, why)),
    ),
  );
  return makeReport(adapter.name, run.seed, results);
}

/** Runs any adapter with the checks of its kind. */
export function checkAdapter(adapter: Adapter, options: CheckOptions = {}): Promise<Report> {
  if (adapter.kind === "object") return checkObjectAlloc(adapter, options);
  if (adapter.kind === "untyped") return checkUntypedObjectAlloc(adapter, options);
  return checkAlloc(adapter, options);
}

async function workersCheck(
  adapter: AllocAdapter | UntypedAdapter,
  options: CheckOptions,
  run: { seed: number; ops: number },
  mix: Mix,
): Promise<CheckResult> {
  if (!isShareable(adapter)) return skip("workers", "not thread-safe: the adapter has no share()/attach()");
  const workers = options.workers;
  if (!workers || workers.count < 1)
    return skip("workers", "no workers asked (--workers N, or the workers option)");
  const shared = adapter.create();
  const descriptor = (adapter.share as (a: typeof shared) => unknown)(shared);
  const ops = workers.ops ?? Math.min(run.ops, 20_000);
  const tasks = Array.from({ length: workers.count }, (_, index) => ({
    adapterUrl: String(workers.url),
    adapterName: adapter.name,
    descriptor,
    seed: run.seed,
    ops,
    index,
    mix,
  }));
  return workersResult(await workers.host.run(tasks), run.seed, ops);
}
