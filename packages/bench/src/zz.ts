import { AddressSpace } from "../../mmap-alloc/src/index.ts";
const space = AddressSpace.create({ maxBytes: 64 << 20, initialBytes: 1 << 20 });
console.log(space.stats());
const p = space.map(2 << 20);
console.log(p, space.stats());
