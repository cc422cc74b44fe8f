/**
 * ElfMalloc of @allocators/elfmalloc: the scalable malloc many workers share over one SharedArrayBuffer. The
 * heap is 4 MiB, so that the out-of-memory and leak checks reach its end; it is thread-safe, so the workers
 * check runs it from several workers on one heap (each attaches with `ElfMalloc.attach`). Two adapters: the
 * default mode and checked mode (double, interior and foreign frees detected).
 */
import { ElfMalloc, type ElfMallocDescriptor } from "@allocators/elfmalloc";
import type { Alloc } from "@allocators/object-alloc";
import type { AllocAdapter } from "../../src/index.js";

const HEAP = 4 << 20;

function elfmalloc(name: string, checked: boolean): AllocAdapter {
  return {
    name,
    create: () => ElfMalloc.create({ maxBytes: HEAP, checked }),
    share: (alloc: Alloc) => (alloc as ElfMalloc).share(),
    attach: (descriptor: unknown) => ElfMalloc.attach(descriptor as ElfMallocDescriptor),
  };
}

export default [
  elfmalloc("ElfMalloc (@allocators/elfmalloc)", false),
  elfmalloc("ElfMalloc, checked mode (@allocators/elfmalloc)", true),
] satisfies AllocAdapter[];
