import { ElfMalloc } from "@allocators/elfmalloc";
import { startWorker } from "@allocators/test-kit";
import type { Stop } from "./stop.js";

const WORKERS = 3;
const MESSAGES = 1000;

/** Several workers allocate text in one shared heap; the main thread reads and frees it by pointer. */
export const elfmallocStop: Stop = {
  title: "@allocators/elfmalloc: one heap, many workers, pointers passed between them",
  async run(print) {
    const heap = ElfMalloc.create({ maxBytes: 64 << 20 });
    const decoder = new TextDecoder();
    const started = performance.now();
    const samples: string[] = [];
    let received = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, (_, id) => {
        const worker = startWorker(new URL("./elfmalloc-worker.ts", import.meta.url), {
          workerData: { heap: heap.shareThread(), id, messages: MESSAGES },
        });
        worker.on("message", ([ptr, length]: [number, number]) => {
          const text = decoder.decode(heap.u8.slice(ptr, ptr + length));
          if (samples.length < WORKERS && text.endsWith("#0")) samples.push(text);
          heap.free(ptr);
          received++;
        });
        return new Promise((resolve) => worker.once("exit", resolve));
      }),
    );
    const ms = performance.now() - started;
    for (const text of samples) print(`received from a worker: "${text}"`);
    print(
      `${received} strings malloc'ed by ${WORKERS} workers, read and freed by the main thread in ${ms.toFixed(0)} ms`,
    );
    const stats = heap.stats();
    print(
      `heap: ${stats.liveBlocks} live blocks, ${(stats.slabBytes / 1024).toFixed(0)} KiB of slabs, check(): ${heap.check().length} problems`,
    );
    heap.detach();
  },
};
