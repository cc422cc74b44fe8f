import { AddressSpace } from "@allocators/mmap-alloc";
import { expect, it } from "vitest";
import { ObjectPool, SlabAlloc, struct } from "../src/index.js";

it("runs the README example", () => {
  const space = AddressSpace.create({ maxBytes: 64 << 20 });
  const Node = struct({ key: "u32", next: "u32", weight: "f64" });
  const { key, weight } = Node.bind(space);
  const nodes = new SlabAlloc(space, { ...Node.layout, init: (p) => weight.set(p, 1) });
  const p = nodes.alloc();
  key.set(p, 7);
  nodes.dealloc(p);
  const pool = new ObjectPool({ create: () => ({ x: 0, y: 0 }) });

  expect(Node.layout.size).toBe(16);
  expect(nodes.alloc()).toBe(p);
  expect([key.get(p), weight.get(p), nodes.stats().constructorCalls]).toEqual([7, 1, 1]);
  expect(pool.alloc()).toEqual({ x: 0, y: 0 });
});
