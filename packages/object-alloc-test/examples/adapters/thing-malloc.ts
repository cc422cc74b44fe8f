/**
 * @thi.ng/malloc's MemPool (a third-party allocator) over a 1 MiB ArrayBuffer. Its pool-wide alignment is 8,
 * declared as `maxAlign`; `usableSize` reads its 8-byte block header `{ size, next }` (size includes the header).
 */
import type { Alloc } from "@allocators/object-alloc";
import { MemoryViews } from "@allocators/object-alloc";
import { MemPool } from "@thi.ng/malloc";
import type { AllocAdapter } from "../../src/index.js";

const HEAP = 1 << 20;
const BLOCK_HEADER = 8;

export default {
  name: "MemPool (@thi.ng/malloc)",
  limits: { maxAlign: 8 },
  create(): Alloc {
    const buf = new ArrayBuffer(HEAP);
    const pool = new MemPool({ buf });
    const memory = new MemoryViews(buf);
    return {
      memory,
      alloc: (size) => pool.malloc(size),
      allocZeroed: (size) => pool.calloc(size),
      dealloc: (ptr) => void pool.free(ptr),
      realloc: (ptr, size) => pool.realloc(ptr, size),
      usableSize: (ptr) => memory.u32[(ptr - BLOCK_HEADER) >>> 2] - BLOCK_HEADER,
    };
  },
} satisfies AllocAdapter;
