import { MemoryViews } from "@allocators/object-alloc";
import { answerWith } from "@allocators/test-kit/browser";
import { bindMalloc } from "../../src/index.js";
import { runCompiledDriver } from "../helpers/driver-core.js";
import { LockedBump } from "../helpers/locked-bump.js";

/**
 * One thread of the C driver in a Web Worker: the browser twin of driver-worker.ts. Receives the compiled
 * module (WebAssembly.Module is structured-clonable) and the shared memory, attaches to the shared allocator,
 * binds its own malloc (own errno), spins until every thread is ready (a worker may block; the page may not),
 * then runs the driver and answers.
 */
answerWith(
  (data: {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    allocBase: number;
    start: SharedArrayBuffer;
    threads: number;
    seed: number;
    rounds: number;
  }) => {
    const api = bindMalloc(LockedBump.attach(new MemoryViews(data.memory), data.allocBase));
    const errnoLocation = api.errnoLocation();
    const ready = new Int32Array(data.start);
    Atomics.add(ready, 0, 1);
    while (Atomics.load(ready, 0) < data.threads);
    const failedLine = runCompiledDriver(data.module, api, data.memory, data.seed, data.rounds);
    return { failedLine, errnoLocation };
  },
);
