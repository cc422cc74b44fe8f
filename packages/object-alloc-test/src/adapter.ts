/**
 * The adapter shape: how an allocator is handed to the checks and to the CLI.
 *
 * @module
 */
import type { Alloc, ObjectAlloc, UntypedObjectAlloc } from "@allocators/object-alloc";

/** What an adapter declares about its allocator, so that checks it cannot answer are skipped with the reason. */
export interface AdapterLimits {
  /** The largest alignment the allocator supports (larger ones are skipped by the alignment checks). */
  maxAlign?: number;
  /** The page size the alignment check goes up to; default 4096. */
  pageSize?: number;
}

/**
 * A general allocator ({@link Alloc}). `create` builds a fresh, empty allocator: every check runs on its own.
 * A thread-safe allocator also implements `share` (a structured-clonable descriptor of an allocator) and
 * `attach` (the same allocator, rebuilt from the descriptor in another worker); the `workers` check needs both,
 * and loads the adapter module by URL in each worker.
 */
export interface AllocAdapter {
  readonly name: string;
  readonly kind?: "alloc";
  create(): Alloc;
  share?(alloc: Alloc): unknown;
  attach?(descriptor: unknown): Alloc;
  readonly limits?: AdapterLimits;
}

/** An allocator of fixed-layout blocks ({@link UntypedObjectAlloc}). */
export interface UntypedAdapter {
  readonly name: string;
  readonly kind: "untyped";
  create(): UntypedObjectAlloc;
  share?(alloc: UntypedObjectAlloc): unknown;
  attach?(descriptor: unknown): UntypedObjectAlloc;
}

/** An allocator of JavaScript objects ({@link ObjectAlloc}), built around the constructor the check gives it. */
export interface ObjectAdapter {
  readonly name: string;
  readonly kind: "object";
  create<T extends object>(construct: () => T): ObjectAlloc<T>;
}

/** Any adapter. */
export type Adapter = AllocAdapter | UntypedAdapter | ObjectAdapter;

/** Gives a name to a bare factory. */
export function allocAdapter(factory: (() => Alloc) | AllocAdapter, name = "allocator"): AllocAdapter {
  return typeof factory === "function" ? { name, create: factory } : factory;
}

/** True when the adapter can rebuild its allocator in another worker. */
export function isShareable(adapter: Adapter): boolean {
  return (
    adapter.kind !== "object" && typeof adapter.share === "function" && typeof adapter.attach === "function"
  );
}

/**
 * The adapters an adapter module exports: its default export (one adapter or an array), else an `adapters`
 * array, else the module itself when it has a `create` function (named exports `name`, `create`, `share`, ...).
 * @throws TypeError when the module holds no adapter.
 */
export function adaptersOf(module: Record<string, unknown>): Adapter[] {
  const candidate =
    module.default ?? module.adapters ?? (typeof module.create === "function" ? module : undefined);
  const list = Array.isArray(candidate) ? candidate : candidate ? [candidate] : [];
  if (list.length === 0 || !list.every(isAdapter)) {
    throw new TypeError(
      "the module must export an adapter { name, create() } as default, as `adapters`, or as named exports",
    );
  }
  return list;
}

function isAdapter(value: unknown): value is Adapter {
  const candidate = value as { name?: unknown; create?: unknown } | null;
  return typeof candidate?.name === "string" && typeof candidate.create === "function";
}
