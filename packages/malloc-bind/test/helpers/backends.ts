import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import { bindMalloc, type CMalloc, type LayoutFinder, type MallocOptions } from "../../src/index.js";
import { SizedArena } from "./sized-arena.js";

export const HEAP = 1 << 22;

/** A side-table finder, as the Rust original's `LayoutFinder` with insert and delete. */
export class MapFinder implements LayoutFinder {
  readonly layouts = new Map<number, { size: number; align: number }>();
  insertLayout(ptr: number, size: number, align: number): void {
    this.layouts.set(ptr, { size, align });
  }
  deleteLayout(ptr: number): void {
    this.layouts.delete(ptr);
  }
  layoutSize(ptr: number): number {
    return this.#get(ptr).size;
  }
  layoutAlign(ptr: number): number {
    return this.#get(ptr).align;
  }
  #get(ptr: number): { size: number; align: number } {
    const layout = this.layouts.get(ptr);
    if (!layout) throw new RangeError(`ptr ${ptr} is not a live block`);
    return layout;
  }
}

/** Every way a binding finds layouts, each over a fresh 4 MiB heap (blocks from 64 on, so 0 is never one). */
export const backends: [string, (options?: MallocOptions) => CMalloc][] = [
  ["lookup (usableSize of a traced arena)", (o) => bindMalloc(new TracingAlloc(arena()), o)],
  ["header (allocator without lookup)", (o) => bindMalloc(new SizedArena(views(), 64, HEAP), o)],
  ["layout finder", (o) => bindMalloc(new SizedArena(views(), 64, HEAP), { ...o, finder: new MapFinder() })],
  ["header forced over an Alloc", (o) => bindMalloc(arena(), { ...o, layout: "header" })],
];

function views(): MemoryViews {
  return new MemoryViews(new ArrayBuffer(HEAP));
}

function arena(): ArenaAlloc {
  return new ArenaAlloc(views(), 64, HEAP);
}
