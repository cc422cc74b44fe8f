/**
 * ObjectPool of @allocators/slab-alloc: a garbage-free pool of JavaScript objects. With no `reset`, an object
 * given back is cached as it is, so the constructed-object caching contract applies: every object handed out is
 * either freshly constructed or exactly as it was when given back.
 */
import { ObjectPool } from "@allocators/slab-alloc";
import type { ObjectAdapter } from "../../src/index.js";

export default {
  name: "ObjectPool (@allocators/slab-alloc)",
  kind: "object",
  create: <T extends object>(construct: () => T) => new ObjectPool({ create: construct }),
} satisfies ObjectAdapter;
