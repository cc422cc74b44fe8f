/**
 * MapAlloc of @allocators/mmap-alloc: every block is a run of pages of a shared address space, so the adapter
 * is thread-safe and the workers check runs it from several workers on one space.
 */

import { AddressSpace, type AddressSpaceDescriptor, MapAlloc } from "@allocators/mmap-alloc";
import type { Alloc } from "@allocators/object-alloc";
import type { AllocAdapter } from "../../src/index.js";

export default {
  name: "MapAlloc (@allocators/mmap-alloc)",
  create: () => new MapAlloc(AddressSpace.create({ maxBytes: 256 << 20 })),
  share: (alloc: Alloc) => (alloc as MapAlloc).space.share(),
  attach: (descriptor: unknown) => new MapAlloc(AddressSpace.attach(descriptor as AddressSpaceDescriptor)),
} satisfies AllocAdapter;
