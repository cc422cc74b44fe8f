/**
 * What every layer of one ElfMalloc handle shares: where the heap's structures are, the thread slot and record
 * the handle is bound to, and the heap's current views.
 *
 * The views come from the address space, which is the heap's one view cache (a `MemoryViews`):
 * {@link HandleContext.sync} takes them from it. Layers read `u32` and `i32` here once per call into locals,
 * and again after {@link HandleContext.sync} when the call may have grown the heap.
 *
 * Why fixed-length views kept in a field rather than length-tracking ones, or the address space's getters at
 * each access: on Node 20 an access through a length-tracking view of a growable SharedArrayBuffer costs
 * several times a fixed-length one, and each getter call checks the buffer's length. The fast paths only touch
 * the root, the page map and this thread's record, which all existed when the views were last taken;
 * everything else (slab headers, chunks, other threads' memory) is reached through a slow path that syncs
 * first. A view taken before another worker grew the heap reads `undefined` past its end, which the fast paths
 * treat as "take the slow path".
 *
 * @module
 */
import type { AddressSpace } from "@allocators/mmap-alloc";
import { FLAG_CHECKED, LAYOUT, MAGIC, R_FLAGS, R_LAYOUT, R_MAGIC, R_PAGE_MAP } from "./heap-root.js";

/** The views of a detached handle: empty, so that every fast path falls to a slow path, which throws. */
export const DETACHED = new Uint32Array(0);

/** One handle's view of the heap, shared by the layers of that handle (never between handles). */
export class HandleContext {
  readonly space: AddressSpace;
  /** Byte offset of the heap root. */
  readonly root: number;
  /** i32 index of the heap root. */
  readonly rootIndex: number;
  /** Byte offset of the page map. */
  readonly map: number;
  /** True in checked mode (a flag of the root). */
  readonly checked: boolean;
  /** The thread slot the handle is bound to (-1: none). Written by the thread table's `bind` alone. */
  slot = -1;
  /** u32 index of the thread's record. Written by the thread table's `bind` alone. */
  rec = 0;
  /** The heap's views as of the last {@link HandleContext.sync}; written by `sync` and `detach` alone. */
  u32: Uint32Array = new Uint32Array(0);
  i32: Int32Array = new Int32Array(0);

  /** @throws RangeError when `root` is not the root of an elfmalloc heap of this build's layout. */
  constructor(space: AddressSpace, root: number) {
    this.space = space;
    this.root = root;
    this.rootIndex = root >>> 2;
    this.sync();
    const r = this.rootIndex;
    const i32 = this.i32;
    if (i32[r + R_MAGIC] !== MAGIC || i32[r + R_LAYOUT] !== LAYOUT) {
      throw new RangeError(`descriptor root ${root} is not an elfmalloc heap of this version`);
    }
    this.checked = (i32[r + R_FLAGS] & FLAG_CHECKED) !== 0;
    this.map = i32[r + R_PAGE_MAP];
  }

  /**
   * Makes `u32` and `i32` cover the whole current buffer; throws once detached. One load of the address
   * space's published length when nothing changed (no `byteLength` call, which workers of a growable
   * SharedArrayBuffer contend on).
   */
  sync(): void {
    if (this.u32 === DETACHED) throw new Error("this ElfMalloc handle was detached");
    const u32 = this.space.u32;
    if (u32 !== this.u32) {
      this.u32 = u32;
      this.i32 = this.space.i32;
    }
  }

  /** Unbinds the handle: its slot is gone, and every later {@link HandleContext.sync} throws. */
  detach(): void {
    this.slot = -1;
    this.u32 = DETACHED;
  }
}
