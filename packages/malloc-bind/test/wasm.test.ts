import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { bindMalloc, wasmImports } from "../src/index.js";
import { driverMemory, HEAP_START, PAGES, runDriver } from "./helpers/driver.js";
import { SizedArena } from "./helpers/sized-arena.js";

const END = PAGES * 65536;

describe("the C driver (c/driver.c) compiled to wasm32, on our malloc", () => {
  it("passes every check with an allocator that has a lookup, traced (no double or wild free)", () => {
    const memory = driverMemory();
    const traced = new TracingAlloc(new ArenaAlloc(new MemoryViews(memory), HEAP_START, END));
    const api = bindMalloc(traced);
    expect(runDriver(api, memory, 42, 5)).toBe(0);
    const stats = traced.stats();
    expect(stats.allocs).toBeGreaterThan(2000);
    // What is still live: the errno word only (the driver frees everything it allocates, the stack was freed).
    expect(stats.liveBlocks).toBe(1);
    expect(traced.isLive(api.errnoLocation())).toBe(true);
  });

  it("passes every check with an allocator without lookup (header mode), every layout given back exactly", () => {
    const memory = driverMemory();
    const raw = new SizedArena(new MemoryViews(memory), HEAP_START, END);
    const api = bindMalloc(raw);
    expect(runDriver(api, memory, 7, 3)).toBe(0);
    expect(raw.liveBlocks).toBe(1);
  });

  it("writes errno at the module's errno location, and reads what the module wrote there", () => {
    const memory = driverMemory();
    const views = new MemoryViews(memory);
    const api = bindMalloc(new ArenaAlloc(views, HEAP_START, END));
    const env = wasmImports(api, memory);
    const location = env.__errno_location();
    expect(location % 4).toBe(0);
    expect(env.malloc(-1)).toBe(0); // 0xffffffff as an i32: a huge size, not a negative one
    expect(views.i32[location / 4]).toBe(12);
    views.i32[location / 4] = 0; // the module clears errno, as C code does
    expect(api.errno).toBe(0);
    expect(env.__errno_location()).toBe(location);
    expect(env.memory).toBe(memory);
  });

  it("reads every i32 argument as unsigned", () => {
    const memory = driverMemory();
    const api = bindMalloc(new ArenaAlloc(new MemoryViews(memory), HEAP_START, END));
    const env = wasmImports(api, memory);
    expect(env.calloc(-1, 2)).toBe(0);
    expect(env.posix_memalign(HEAP_START, 16, -16)).toBe(12);
    expect(env.aligned_alloc(16, -16)).toBe(0);
    api.errno = 0;
    // 2^31 as an i32 is negative; read as the valid alignment 2^31 it cannot fit a 32 MiB heap: ENOMEM, not EINVAL.
    expect(env.memalign(-2147483648, 16)).toBe(0);
    expect(api.errno).toBe(12);
  });
});
