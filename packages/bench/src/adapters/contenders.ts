/**
 * The contenders every general allocator workload runs: elfmalloc (when it works on this tree) and the peers a
 * JavaScript user would otherwise pick. The native glibc reference line is not here: it runs as a separate
 * program (see `native.ts`).
 *
 * @module
 */
import type { AdapterSource, Contender, HeapAdapter } from "./adapter.js";
import { createElfMalloc, type ElfMallocHandle, ElfMallocHeap, loadElfMalloc } from "./elfmalloc.js";
import { GcHeap } from "./gc.js";
import { ThingHeap } from "./thing.js";
import { compileTlsf, TlsfHeap } from "./tlsf.js";

/** The name of the baseline of every general workload. */
export const GC = "new Uint8Array + GC";
export const ELFMALLOC = "elfmalloc";
export const THING = "@thi.ng/malloc";
export const THING_LOCKED = "@thi.ng/malloc + lock";
export const TLSF = "AssemblyScript TLSF (wasm)";
/** elfmalloc's label in multi-worker tables (see {@link workerLabel}). */
export const SHARED_ELFMALLOC = `${ELFMALLOC} (shared)`;

/** A contender plus how to open a heap of it on the main thread, for single-threaded workloads. */
export interface LocalContender extends Contender {
  open(heapBytes: number): HeapAdapter;
}

let tlsfModule: WebAssembly.Module | undefined;
let elfmallocProblem: string | undefined;
const elfHeaps = new WeakMap<object, ElfMallocHandle>();

/** Loads what the contenders need (compiles TLSF, probes elfmalloc); call once before the workloads. */
export async function prepareContenders(): Promise<string[]> {
  tlsfModule ??= await compileTlsf();
  const elf = await loadElfMalloc();
  elfmallocProblem = typeof elf === "string" ? elf : undefined;
  return elfmallocProblem ? [elfmallocProblem] : [];
}

/** Opens a heap in the calling thread (worker side). */
export async function openAdapter(source: AdapterSource): Promise<HeapAdapter> {
  switch (source.kind) {
    case "gc":
      return new GcHeap();
    case "thing":
      return new ThingHeap(new ArrayBuffer(source.heapBytes));
    case "thing-locked":
      return new ThingHeap(source.buffer, source.lock);
    case "tlsf":
      return new TlsfHeap(source.module);
    case "elfmalloc":
      return ElfMallocHeap.attach(source.descriptor);
  }
}

/** Opens a shared heap on the main thread, where it was made (to hand blocks to workers); else undefined. */
export function openHere(source: AdapterSource): HeapAdapter | undefined {
  if (source.kind === "thing-locked") return new ThingHeap(source.buffer, source.lock);
  const creator = source.kind === "elfmalloc" ? elfHeaps.get(source) : undefined;
  return creator && new ElfMallocHeap(creator, false);
}

const gc: LocalContender = {
  name: GC,
  shared: false,
  scale: 1,
  source: () => ({ kind: "gc" }),
  open: () => new GcHeap(),
};

/** thi.ng's free walks the whole used list, so its iterations shrink with the live set (see `scaleFor`). */
const thing: LocalContender = {
  name: THING,
  shared: false,
  scale: 1,
  source: (heapBytes) => ({ kind: "thing", heapBytes }),
  open: (heapBytes) => new ThingHeap(new ArrayBuffer(heapBytes)),
};

const thingLocked: Contender = {
  name: THING_LOCKED,
  shared: true,
  scale: 1,
  source: (heapBytes) => ({ kind: "thing-locked", ...ThingHeap.createShared(heapBytes) }),
};

const tlsf: LocalContender = {
  name: TLSF,
  shared: false,
  scale: 1,
  source: () => ({ kind: "tlsf", module: tlsfModule as WebAssembly.Module }),
  open: () => new TlsfHeap(tlsfModule as WebAssembly.Module),
};

const elfmalloc: LocalContender = {
  name: ELFMALLOC,
  shared: true,
  scale: 1,
  source(heapBytes) {
    const heap = createElfMalloc(heapBytes, 8);
    const descriptor = heap.share();
    const source: AdapterSource = { kind: "elfmalloc", descriptor };
    elfHeaps.set(source, heap);
    return source;
  },
  release(source) {
    elfHeaps.get(source)?.detach();
  },
  open: (heapBytes) => new ElfMallocHeap(createElfMalloc(heapBytes), true),
};

/** The contenders of single-threaded workloads, elfmalloc first when it works. */
export function localContenders(): LocalContender[] {
  return elfmallocProblem === undefined ? [elfmalloc, thing, tlsf, gc] : [thing, tlsf, gc];
}

/**
 * The contenders of multi-worker workloads. `crossThread`: the workload frees blocks in other workers than
 * the one that allocated them, so a single-threaded peer also runs shared behind a lock.
 */
export function workerContenders(crossThread: boolean): Contender[] {
  const list: Contender[] = elfmallocProblem === undefined ? [elfmalloc] : [];
  if (crossThread) list.push(thingLocked);
  list.push(thing, tlsf, gc);
  return list;
}

/** How a contender is labelled in a multi-worker table: private heaps are said so. */
export function workerLabel(contender: Contender): string {
  return contender.shared ? `${contender.name} (shared)` : `${contender.name} (private heap per worker)`;
}
