/**
 * @allocators/elfmalloc: one heap shared by every worker. Loaded by name at run time, so that the bench runs
 * (without this contender) on a tree where elfmalloc has not landed.
 *
 * @module
 */
import { checkBytes, fillBytes, type HeapAdapter, pokeBytes } from "./adapter.js";

/** The part of ElfMalloc's API the bench uses. */
export interface ElfMallocHandle {
  malloc(size: number): number;
  free(ptr: number): void;
  readonly u8: Uint8Array;
  share(): unknown;
  detach(): void;
  stats(): { liveBytes: number; mappedBytes: number; heapBytes: number };
}

interface ElfMallocModule {
  ElfMalloc: {
    create(options: { maxBytes: number; maxThreads?: number }): ElfMallocHandle;
    attach(descriptor: unknown): ElfMallocHandle;
  };
}

const MODULE = "@allocators/elfmalloc";
let loaded: ElfMallocModule | undefined;

/** Loads elfmalloc; undefined (with the reason) when it is missing or does not work yet. */
export async function loadElfMalloc(): Promise<ElfMallocModule | string> {
  try {
    const module = (await import(MODULE)) as ElfMallocModule;
    const heap = module.ElfMalloc.create({ maxBytes: MIN_MAX_BYTES });
    const ptr = heap.malloc(100);
    if (ptr === 0) return "elfmalloc returned 0 for malloc(100)";
    heap.free(ptr);
    loaded = module;
    return module;
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    if (code === "ERR_MODULE_NOT_FOUND")
      return "elfmalloc is not on this tree yet (its sources were not found)";
    return `elfmalloc failed its probe: ${message.split("\n")[0]}`;
  }
}

/**
 * The smallest heap cap. The cap is not free: the address space's page state and elfmalloc's own tables (page
 * map, bags) are sized for it and count in the committed bytes the memory figures report: a new heap commits
 * 384 KiB with a 64 MiB cap, 1 MiB with 256 MiB, 3.4 MiB with 1 GiB (Node 20, measured).
 */
const MIN_MAX_BYTES = 64 << 20;

/**
 * Creates a heap on this thread (call {@link loadElfMalloc} first) with room for `workers` workers each using up
 * to `maxBytes`, doubled for fragmentation.
 */
export function createElfMalloc(maxBytes: number, workers = 1): ElfMallocHandle {
  if (!loaded) throw new Error("loadElfMalloc() first");
  const cap = Math.min(2 ** 31, Math.max(2 * workers * maxBytes, MIN_MAX_BYTES));
  return loaded.ElfMalloc.create({ maxBytes: cap, maxThreads: 64 });
}

export class ElfMallocHeap implements HeapAdapter {
  readonly #heap: ElfMallocHandle;
  readonly #owned: boolean;
  #u8: Uint8Array = new Uint8Array(0);
  #i32: Int32Array = new Int32Array(0);

  /** Wraps a handle (`owned`: this thread attached it and detaches it on dispose). */
  constructor(heap: ElfMallocHandle, owned: boolean) {
    this.#heap = heap;
    this.#owned = owned;
  }

  /** Attaches to a shared heap in a worker. */
  static async attach(descriptor: unknown): Promise<ElfMallocHeap> {
    const module = loaded ?? ((await import(MODULE)) as ElfMallocModule);
    return new ElfMallocHeap(module.ElfMalloc.attach(descriptor), true);
  }

  malloc(size: number): number {
    return this.#heap.malloc(size);
  }

  free(ptr: number): void {
    this.#heap.free(ptr);
  }

  /**
   * The heap's bytes up to at least `end`: a cached view, re-read from the heap only when a block lies beyond it
   * (the heap grew, possibly in another worker), as a program would (TLSF's adapter caches its view too).
   */
  #bytes(end: number): Uint8Array {
    if (end > this.#u8.length) {
      this.#u8 = this.#heap.u8;
      this.#i32 = new Int32Array(this.#u8.buffer, 0, this.#u8.length >>> 2);
    }
    return this.#u8;
  }

  fill(ptr: number, size: number, value: number): void {
    fillBytes(this.#bytes(ptr + size), this.#i32, ptr, size, value);
  }

  poke(ptr: number, size: number, value: number): void {
    pokeBytes(this.#bytes(ptr + size), ptr, size, value);
  }

  check(ptr: number, size: number, value: number): boolean {
    return checkBytes(this.#bytes(ptr + size), ptr, size, value);
  }

  view(ptr: number, size: number): Uint8Array {
    return this.#bytes(ptr + size).subarray(ptr, ptr + size);
  }

  peek(ptr: number): number {
    return this.#bytes(ptr + 1)[ptr];
  }

  /** The heap's buffer length: what the engine committed. */
  committedBytes(): number {
    return this.#heap.stats().heapBytes;
  }

  dispose(): void {
    if (this.#owned) this.#heap.detach();
  }
}
