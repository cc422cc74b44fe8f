import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import { describe, expect, it } from "vitest";
import { bindMalloc, PLATFORMS, type Platform, WASI_ERRNO } from "../src/index.js";

function traced(platform: Platform, heap = 1 << 16) {
  const alloc = new TracingAlloc(new ArenaAlloc(new MemoryViews(new ArrayBuffer(heap)), 64, heap));
  return { alloc, c: bindMalloc(alloc, { platform }) };
}

describe.each(Object.keys(PLATFORMS) as Platform[])("platform %s", (platform) => {
  const rules = PLATFORMS[platform];

  it("malloc(0), calloc(0, n) and realloc(NULL, 0) are unique non-null blocks", () => {
    const { c } = traced(platform);
    const blocks = [
      c.malloc(0),
      c.calloc(0, 8),
      c.realloc(0, 0),
      c.posix_memalign(64, 16, 0) || c.memory.u32[16],
    ];
    expect(blocks.every((p) => p !== 0)).toBe(true);
    expect(new Set(blocks).size).toBe(4);
  });

  it("realloc(p, 0) follows the platform", () => {
    const { alloc, c } = traced(platform);
    const p = c.malloc(32);
    c.errno = 0;
    const q = c.realloc(p, 0);
    expect(c.errno).toBe(0);
    if (rules.reallocZero === "free") {
      expect(q).toBe(0);
      expect(alloc.isLive(p)).toBe(false);
    } else if (rules.reallocZero === "shrink") {
      expect(q).not.toBe(0);
      expect(alloc.isLive(q)).toBe(true);
    } else {
      expect(q).not.toBe(0);
      expect(q).not.toBe(p);
      expect(alloc.isLive(p)).toBe(false);
      expect(alloc.isLive(q)).toBe(true);
    }
  });

  it("reallocf(p, 0) never frees p twice, and a failed reallocf frees p", () => {
    const { alloc, c } = traced(platform);
    const p = c.malloc(32);
    const q = c.reallocf(p, 0); // TracingAlloc throws on a double free
    expect(alloc.isLive(p)).toBe(q === p); // kept only when shrunk in place
    const r = c.malloc(32);
    expect(c.reallocf(r, 1 << 20)).toBe(0);
    expect(alloc.isLive(r)).toBe(false);
  });

  it("when out of memory, realloc(p, 0) that must allocate fails with ENOMEM and keeps p", () => {
    const { alloc, c } = traced(platform, 4096);
    const p = c.malloc(16);
    while (c.malloc(16) !== 0);
    c.errno = 0;
    const q = c.realloc(p, 0);
    if (rules.reallocZero === "fresh") {
      expect(q).toBe(0);
      expect(c.errno).toBe(12);
      expect(alloc.isLive(p)).toBe(true);
    } else {
      expect(c.errno).toBe(0); // freeing or shrinking needs no memory
    }
  });

  it("aligned_alloc needs size to be a multiple of the alignment only on macOS and Windows", () => {
    const { c } = traced(platform);
    c.errno = 0;
    const p = c.aligned_alloc(16, 24);
    expect(p === 0).toBe(rules.alignedAllocNeedsMultiple);
    expect(c.errno).toBe(rules.alignedAllocNeedsMultiple ? 22 : 0);
  });

  it("memalign with an alignment that is not a power of two: glibc rounds up, the others fail", () => {
    const { c } = traced(platform);
    c.errno = 0;
    const p = c.memalign(96, 8);
    if (rules.memalignOddAlignment === "round-up") {
      expect(p % 128).toBe(0);
      expect(p).not.toBe(0);
    } else {
      expect(p).toBe(0);
      expect(c.errno).toBe(22);
    }
  });
});

describe("errno", () => {
  it("uses the numbering asked for (wasi-libc's here)", () => {
    const c = bindMalloc(new ArenaAlloc(new MemoryViews(new ArrayBuffer(4096)), 64, 4096), {
      errnoCodes: WASI_ERRNO,
    });
    c.malloc(1 << 20);
    expect(c.errno).toBe(48);
    expect(c.posix_memalign(64, 3, 8)).toBe(28);
  });

  it("lives at errnoPtr when given, read and written there", () => {
    const memory = new MemoryViews(new ArrayBuffer(4096));
    const c = bindMalloc(new ArenaAlloc(memory, 64, 4096), { errnoPtr: 8 });
    expect(c.errnoLocation()).toBe(8);
    c.malloc(1 << 20);
    expect(memory.i32[2]).toBe(12);
    memory.i32[2] = 0;
    expect(c.errno).toBe(0);
    expect(() => bindMalloc(new ArenaAlloc(memory, 64, 4096), { errnoPtr: 6 })).toThrow(/errnoPtr/);
  });

  it("keeps the value set before the location was allocated", () => {
    const c = bindMalloc(new ArenaAlloc(new MemoryViews(new ArrayBuffer(4096)), 64, 4096));
    c.malloc(1 << 20);
    const location = c.errnoLocation();
    expect(c.memory.i32[location / 4]).toBe(12);
  });

  it("rejects options that make no sense", () => {
    const arena = new ArenaAlloc(new MemoryViews(new ArrayBuffer(4096)), 64, 4096);
    expect(() => bindMalloc(arena, { platform: "plan9" as Platform })).toThrow(/platform/);
    expect(() => bindMalloc(arena, { platform: "toString" as Platform })).toThrow(/platform/);
    expect(() => bindMalloc(arena, { minAlign: 2 })).toThrow(/minAlign/);
    expect(() => bindMalloc(arena, { pageSize: 1000 })).toThrow(/pageSize/);
    expect(() => bindMalloc(arena, { maxSize: 2 ** 33 })).toThrow(/maxSize/);
  });
});
