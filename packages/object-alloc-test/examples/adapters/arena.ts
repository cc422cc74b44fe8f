/**
 * ArenaAlloc of @allocators/object-alloc: a bump allocator. Its report card shows honestly what an arena does
 * not do: a freed block is reused only when it was the last one (memory comes back per scope or on reset), so
 * the leak check finds memory that stays unusable after everything is freed.
 */
import { ArenaAlloc, MemoryViews } from "@allocators/object-alloc";
import type { AllocAdapter } from "../../src/index.js";

const HEAP = 1 << 20;

export default {
  name: "ArenaAlloc (@allocators/object-alloc)",
  create: () => new ArenaAlloc(new MemoryViews(new ArrayBuffer(HEAP)), 0, HEAP),
} satisfies AllocAdapter;
