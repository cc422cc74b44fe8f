import { readFileSync } from "node:fs";
import { ElfMalloc } from "@allocators/elfmalloc";
import { bindMalloc, giveStack, wasmImports } from "@allocators/malloc-bind";
import { TracingAlloc } from "@allocators/object-alloc";
import type { Stop } from "./stop.js";

/** The C driver of malloc-bind (c/driver.c), compiled to wasm32 and committed. */
const DRIVER = new URL("../../malloc-bind/c/driver.wasm", import.meta.url);
const HEAP_START = 65536; // the module's data and stack live below
const PAGES = 512;

export const mallocBindStop: Stop = {
  title: "@allocators/malloc-bind: a C program compiled to wasm32, running on elfmalloc",
  run(print) {
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
    // elfmalloc's heap lives in the memory the module imports, above the module's data and stack.
    const heap = ElfMalloc.create({
      maxBytes: PAGES * 65536 - HEAP_START,
      backing: memory,
      base: HEAP_START,
    });
    const traced = new TracingAlloc(heap); // counts the calls; every one goes to elfmalloc
    const c = bindMalloc(traced, { platform: "glibc" });

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
    const stats = traced.stats();
    const elf = heap.stats();
    const cached = elf.classes.reduce((n, k) => n + k.cachedBlocks, 0);
    print(
      `run(): ${failedLine === 0 ? "every check passed" : `check at driver.c:${failedLine} failed`} ` +
        `(lists, trees and strings built with malloc, calloc and realloc)`,
    );
    print(
      `the C program made ${stats.allocs} allocations, ${stats.reallocs} reallocs (${stats.failures} too large, ` +
        `failed on purpose), ${stats.deallocs} frees; peak ${stats.peakBytes} B`,
    );
    print(
      `elfmalloc after the run: ${elf.liveBlocks} live block (errno), ${cached} freed blocks cached for reuse ` +
        `in ${elf.slabBytes / 1024} KiB of slabs; heap.check() found ${heap.check().length} problems`,
    );
  },
};
