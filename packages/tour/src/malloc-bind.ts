import { readFileSync } from "node:fs";
import { bindMalloc, giveStack, wasmImports } from "@allocators/malloc-bind";
import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import type { Stop } from "./stop.js";

/** The C driver of malloc-bind (c/driver.c), compiled to wasm32 and committed. */
const DRIVER = new URL("../../malloc-bind/c/driver.wasm", import.meta.url);
const HEAP_START = 65536; // the module's data and stack live below
const PAGES = 512;

export const mallocBindStop: Stop = {
  title: "@allocators/malloc-bind: a C program compiled to wasm32, running on our malloc",
  run(print) {
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
    const heap = new TracingAlloc(new ArenaAlloc(new MemoryViews(memory), HEAP_START, PAGES * 65536));
    const c = bindMalloc(heap, { platform: "glibc" });

    c.malloc(2 ** 32 - 1);
    print(
      `malloc(SIZE_MAX) -> NULL, errno ${c.errno} (ENOMEM); calloc(65536, 65537) -> ${c.calloc(65536, 65537)}`,
    );
    print(
      `posix_memalign(&p, 2, 8) -> ${c.posix_memalign(HEAP_START - 4, 2, 8)} (EINVAL: below sizeof(void*))`,
    );
    const p = c.malloc(24);
    print(`glibc realloc(p, 0) -> ${c.realloc(p, 0)} (freed); musl would return a minimal block`);

    const module = new WebAssembly.Module(readFileSync(DRIVER));
    const names = WebAssembly.Module.imports(module).filter((i) => i.kind === "function");
    print(`driver.wasm (${readFileSync(DRIVER).length} B) imports ${names.map((i) => i.name).join(", ")}`);
    const instance = new WebAssembly.Instance(module, { env: { ...wasmImports(c, memory) } });
    const stack = giveStack(instance, c, 64 * 1024);
    const failedLine = (instance.exports.run as (seed: number, rounds: number) => number)(2026, 10);
    c.free(stack);
    const stats = heap.stats();
    print(
      `run(): ${failedLine === 0 ? "every check passed" : `check at driver.c:${failedLine} failed`} ` +
        `(lists, trees and strings built with malloc, calloc and realloc)`,
    );
    print(
      `the C program made ${stats.allocs} allocations, ${stats.reallocs} reallocs (${stats.failures} too large, ` +
        `failed on purpose), ${stats.deallocs} frees; peak ${stats.peakBytes} B, live now ${stats.liveBlocks} (errno)`,
    );
  },
};
