/**
 * SlabAlloc of @allocators/slab-alloc: Bonwick's slab allocator of fixed-size objects, as an untyped object
 * allocator (one layout, 48 B aligned to 16) over a 1 MiB address space, so that the out-of-memory and leak
 * checks reach its end. Single-threaded by design, so it has no workers check.
 */
import { AddressSpace } from "@allocators/mmap-alloc";
import { SlabAlloc } from "@allocators/slab-alloc";
import type { UntypedAdapter } from "../../src/index.js";

export default {
  name: "SlabAlloc (@allocators/slab-alloc)",
  kind: "untyped",
  create: () =>
    new SlabAlloc(AddressSpace.create({ maxBytes: 1 << 20, backing: "local" }), { size: 48, align: 16 }),
} satisfies UntypedAdapter;
