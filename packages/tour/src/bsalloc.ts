import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { BsAlloc, type BsAllocDescriptor } from "@allocators/bsalloc";
import { AddressSpace } from "@allocators/mmap-alloc";
import { runWorker } from "@allocators/test-kit";
import type { Stop } from "./stop.js";

interface TourJob {
  bsallocTour: BsAllocDescriptor;
  record: number;
}

// This module is also the stop's worker: it attaches the allocator, reads the record and frees it.
if (!isMainThread && (workerData as TourJob | undefined)?.bsallocTour) {
  const { bsallocTour, record } = workerData as TourJob;
  const bs = BsAlloc.attach(bsallocTour);
  const seen = bs.memory.u32[record >>> 2];
  bs.dealloc(record);
  parentPort?.postMessage(seen);
}

export const bsallocStop: Stop = {
  title: "@allocators/bsalloc: metadata blocks inside a shared address space, without locks",
  async run(print) {
    const space = AddressSpace.create({ maxBytes: 32 << 20, backing: "shared" });
    const bs = BsAlloc.create(space);
    const record = bs.alloc(4096, 64);
    const table = bs.alloc(200);
    const queue = bs.alloc(48 << 10);
    print(`per-thread record 4 KiB @ ${record} (usable ${bs.usableSize(record)}), table 200 B @ ${table}`);
    print(`queue storage 48 KiB mapped directly @ ${queue} (usable ${bs.usableSize(queue)})`);

    bs.dealloc(table); // no size needed: the segment header names the class
    print(`freed the table; the next 256 B chunk reuses it: ${bs.alloc(256) === table}`);
    try {
      bs.dealloc(table + 256);
    } catch (e) {
      print(`bad free refused: ${(e as Error).message}`);
    }

    space.u32[record >>> 2] = 0xfeed;
    const job: TourJob = { bsallocTour: bs.share(), record };
    const seen = await runWorker<number>(new URL(import.meta.url), job);
    print(
      `a worker attached by descriptor read 0x${seen.toString(16)} and freed the record: owns ${bs.owns(record)}`,
    );
    const { classes, largeBlocks, mappedBytes } = bs.stats();
    const live = classes.map((c) => `${c.chunkSize} B: ${c.live}`).join(", ");
    print(
      `live chunks per class: ${live}; large blocks ${largeBlocks}; mapped ${mappedBytes} B; check: ${bs.check().length} problems`,
    );
  },
};
