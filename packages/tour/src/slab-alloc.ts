import { AddressSpace } from "@allocators/mmap-alloc";
import { ObjectPool, SlabAlloc, struct } from "@allocators/slab-alloc";
import type { Stop } from "./stop.js";

export const slabAllocStop: Stop = {
  title: "@allocators/slab-alloc: object caching in slabs, structs, and garbage-free pools",
  run(print) {
    const space = AddressSpace.create({ maxBytes: 16 << 20 });
    const Node = struct({ key: "u32", left: "u32", right: "u32", weight: "f64" });
    const { key, left, weight } = Node.bind(space);
    let constructed = 0;
    const nodes = new SlabAlloc(space, {
      size: Node.layout.size,
      align: Node.layout.align,
      init: (p) => {
        weight.set(p, 1); // an expensive constructor, in real life
        constructed++;
      },
      workingSetMs: 0,
      checked: true, // double frees throw too (off by default: foreign and interior pointers always do)
    });
    const s = nodes.stats();
    print(
      `struct Node ${Node.layout}: ${s.kind} slabs of ${s.slabBytes} B, ${s.objectsPerSlab} nodes each, ${s.colours} colours`,
    );

    const a = nodes.alloc();
    key.set(a, 7);
    left.set(a, nodes.alloc());
    print(`two nodes at ${a} and ${left.get(a)}; constructor ran ${constructed} times`);
    nodes.dealloc(left.get(a));
    const b = nodes.alloc();
    print(
      `freed one and allocated again: got ${b} back, constructor still ran ${constructed} times (cached)`,
    );

    const many = Array.from({ length: 1000 }, () => nodes.alloc());
    print(`1000 more: ${nodes.stats().slabs} slabs, ${constructed} constructions`);
    for (const p of many) nodes.dealloc(p);
    print(
      `freed them: empty slabs went back to the address space (working set window 0): ${nodes.stats().slabs} slabs left`,
    );

    try {
      nodes.dealloc(a + 4);
    } catch (e) {
      print(`interior pointer rejected: ${(e as Error).message}`);
    }
    nodes.dealloc(b);
    try {
      nodes.dealloc(b);
    } catch (e) {
      print(`double free rejected: ${(e as Error).message}`);
    }
    print(`check(): ${nodes.check().length === 0 ? "consistent" : nodes.check().join("; ")}`);

    const pool = new ObjectPool({
      create: () => ({ x: 0, y: 0, alive: false }),
      reset: (p) => (p.alive = false),
    });
    const h = pool.allocHandle();
    pool.get(h).alive = true;
    const obj = pool.get(h);
    pool.deallocHandle(h);
    const again = pool.alloc();
    print(`ObjectPool: same object back after free: ${again === obj}, reset ran: alive=${again?.alive}`);
    print(
      `stale handle ${h} live? ${pool.isLive(h)}; ${pool.stats().creates} objects created for the whole run`,
    );
  },
};
