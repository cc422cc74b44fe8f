import { parentPort, workerData } from "node:worker_threads";
import { ArenaAlloc, Layout, MemoryViews } from "../../src/index.js";

const memory = new MemoryViews(workerData as SharedArrayBuffer);
const arena = new ArenaAlloc(memory, 0, memory.u8.length);
const layout = Layout.from(10, 4).array(4);
const ptr = arena.alloc(layout.size, 64);
memory.u32[ptr / 4] = 0xc0ffee;
parentPort!.postMessage({ ptr, size: layout.size });
