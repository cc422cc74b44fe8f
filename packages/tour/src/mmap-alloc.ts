import { AddressSpace, MapAlloc } from "@allocators/mmap-alloc";
import type { Stop } from "./stop.js";

const KiB = 1024;
const MiB = 1024 * KiB;

export const mmapAllocStop: Stop = {
  title: "@allocators/mmap-alloc: an address space of pages over one growable buffer",
  run(print) {
    const space = AddressSpace.create({ maxBytes: 64 * MiB });
    const { reservedBytes, committedBytes } = space.stats();
    print(
      `space of 64 MiB, ${space.pageSize} B pages: ${reservedBytes / KiB} KiB of metadata, ${committedBytes / KiB} KiB committed`,
    );

    const a = space.map(3 * 4 * KiB);
    const b = space.map(4 * KiB);
    const big = space.map(2 * MiB, 2 * MiB);
    print(
      `map 3 pages -> ${a}, 1 page -> ${b}, 2 MiB aligned to 2 MiB -> ${big} (${big % (2 * MiB) === 0 ? "aligned" : "NOT aligned"})`,
    );
    space.u8.fill(0xee, a, a + 3 * 4 * KiB);
    space.unmap(a, 3 * 4 * KiB);
    const again = space.map(2 * 4 * KiB);
    print(
      `unmap then map 2 pages reuses ${again}: first byte ${space.u8[again]} (freed dirty, zeroed by map)`,
    );

    space.u32[again >>> 2] = 42;
    const grown = space.remap(again, 2 * 4 * KiB, 3 * 4 * KiB);
    const moved = space.remap(grown, 3 * 4 * KiB, 8 * 4 * KiB);
    print(
      `remap 2 -> 3 pages in place at ${grown}; 3 -> 8 pages blocked by a neighbour, moved to ${moved}, word still ${space.u32[moved >>> 2]}`,
    );

    const heap = new MapAlloc(space);
    const block = heap.alloc(100 * KiB);
    print(
      `MapAlloc.alloc(100 KiB) -> ${block}, usable ${heap.usableSize(block) / KiB} KiB, owns it: ${heap.owns(block)}, owns ${b}: ${heap.owns(b)}`,
    );
    heap.dealloc(block);

    const s = space.stats();
    print(
      `stats: mapped ${s.mappedBytes / KiB} KiB, free ${s.freeBytes / KiB} KiB, committed ${(s.committedBytes / MiB).toFixed(2)} MiB after ${s.growths} growths, largest free run ${(s.largestFreeRun / MiB).toFixed(2)} MiB`,
    );
    print(`check(): ${space.check().length === 0 ? "no problems" : space.check().join("; ")}`);
    print(
      `share() -> { kind: "${space.share().kind}", memory: SharedArrayBuffer }: AddressSpace.attach(it) in a worker`,
    );
  },
};
