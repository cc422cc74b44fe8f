import { ArenaAlloc, type Memory, NULL, type Ptr } from "@allocators/object-alloc";
import type { RawAlloc } from "../../src/index.js";

/**
 * An allocator with no lookup, as Rust's `GlobalAlloc`: `dealloc` must be given the exact size and alignment
 * of the block, and throws when they are wrong (so a binding that loses a layout fails the test). Blocks come
 * from an arena; the layouts are kept here only to check what the binding passes back.
 */
export class SizedArena implements RawAlloc {
  readonly #arena: ArenaAlloc;
  readonly #layouts = new Map<Ptr, { size: number; align: number }>();

  constructor(
    readonly memory: Memory,
    start: number,
    end: number,
  ) {
    this.#arena = new ArenaAlloc(memory, start, end);
  }

  get liveBlocks(): number {
    return this.#layouts.size;
  }

  alloc(size: number, align: number): Ptr {
    const ptr = this.#arena.alloc(size, align);
    if (ptr !== NULL) this.#layouts.set(ptr, { size, align });
    return ptr;
  }

  dealloc(ptr: Ptr, size: number, align: number): void {
    const layout = this.#layouts.get(ptr);
    if (!layout || layout.size !== size || layout.align !== align) {
      throw new Error(`dealloc(${ptr}, ${size}, ${align}) does not match ${JSON.stringify(layout)}`);
    }
    this.#layouts.delete(ptr);
    this.#arena.dealloc(ptr);
  }
}
