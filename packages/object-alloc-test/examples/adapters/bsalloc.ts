/**
 * BsAlloc of @allocators/bsalloc: the lock-free metadata allocator over a shared address space; thread-safe,
 * so the workers check runs it from several workers on one heap.
 */

import { BsAlloc, type BsAllocDescriptor } from "@allocators/bsalloc";
import { AddressSpace } from "@allocators/mmap-alloc";
import type { Alloc } from "@allocators/object-alloc";
import type { AllocAdapter } from "../../src/index.js";

export default {
  name: "BsAlloc (@allocators/bsalloc)",
  create: () => BsAlloc.create(AddressSpace.create({ maxBytes: 256 << 20 })),
  share: (alloc: Alloc) => (alloc as BsAlloc).share(),
  attach: (descriptor: unknown) => BsAlloc.attach(descriptor as BsAllocDescriptor),
} satisfies AllocAdapter;
