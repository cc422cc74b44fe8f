import { ElfMalloc, type ElfMallocDescriptor } from "@allocators/elfmalloc";
import { answerWith } from "@allocators/test-kit/browser";
import { bindMalloc } from "../../src/index.js";
import { runCompiledDriver } from "../helpers/driver-core.js";

/**
 * One thread of the C driver in a Web Worker: the browser twin of driver-worker.ts. Receives the compiled
 * module (WebAssembly.Module is structured-clonable), the shared memory and a descriptor of the elfmalloc heap
 * in it, attaches, binds its own malloc (own errno), spins until every thread is ready (a worker may block; the
 * page may not), then runs the driver, gives back its errno word, detaches (its caches go back to the heap)
 * and answers.
 */
answerWith(
  (data: {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    heap: ElfMallocDescriptor;
    start: SharedArrayBuffer;
    threads: number;
    seed: number;
    rounds: number;
  }) => {
    const heap = ElfMalloc.attach(data.heap);
    const api = bindMalloc(heap);
    const errnoLocation = api.errnoLocation();
    const ready = new Int32Array(data.start);
    Atomics.add(ready, 0, 1);
    while (Atomics.load(ready, 0) < data.threads);
    const failedLine = runCompiledDriver(data.module, api, data.memory, data.seed, data.rounds);
    api.free(errnoLocation);
    heap.detach();
    return { failedLine, errnoLocation };
  },
);
