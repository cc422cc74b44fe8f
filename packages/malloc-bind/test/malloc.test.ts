import { describe, expect, it } from "vitest";
import { POSIX_ERRNO } from "../src/index.js";
import { backends, HEAP } from "./helpers/backends.js";

const { ENOMEM, EINVAL } = POSIX_ERRNO;
const ALIGNMENTS = Array.from({ length: 17 }, (_, k) => 2 ** k); // 1 .. 65536
/** Near and above 2^32, above the 4 MiB heap, and sizes that wrap when padded (glibc bugs 22343, 22375). */
const TOO_LARGE = [HEAP + 1, 2 ** 31, 2 ** 32 - 4096, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53];
const MEMPTR = 64; // the first u32 of every heap: below the first block

describe.each(backends)("bindMalloc with %s", (_, bind) => {
  it("malloc(0) is a unique non-null block; free(NULL) does nothing", () => {
    const c = bind();
    const a = c.malloc(0);
    const b = c.malloc(0);
    expect(a).not.toBe(0);
    expect(b).not.toBe(a);
    c.free(0);
    c.free(a);
    c.free(b);
  });

  it("fails every function with ENOMEM for sizes too large, at every alignment, errno set each time", () => {
    const c = bind();
    const failures: string[] = [];
    const expectNull = (name: string, ptr: number) => {
      if (ptr !== 0 || c.errno !== ENOMEM) failures.push(`${name} -> ${ptr}, errno ${c.errno}`);
      c.errno = 0;
    };
    const live = c.malloc(16);
    for (const n of TOO_LARGE) {
      expectNull(`malloc(${n})`, c.malloc(n));
      expectNull(`calloc(1, ${n})`, c.calloc(1, n));
      expectNull(`calloc(${n}, 1)`, c.calloc(n, 1));
      expectNull(`realloc(p, ${n})`, c.realloc(live, n));
      expectNull(`reallocarray(p, 1, ${n})`, c.reallocarray(live, 1, n));
      expectNull(`valloc(${n})`, c.valloc(n));
      expectNull(`pvalloc(${n})`, c.pvalloc(n));
      for (const align of ALIGNMENTS) {
        expectNull(`aligned_alloc(${align}, ${n})`, c.aligned_alloc(align, n));
        expectNull(`memalign(${align}, ${n})`, c.memalign(align, n));
        if (align >= 4 && c.posix_memalign(MEMPTR, align, n) !== ENOMEM) {
          failures.push(`posix_memalign(${align}, ${n})`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(c.malloc_usable_size(live)).toBeGreaterThanOrEqual(16); // realloc failures left it live
  });

  it("honours every alignment, and malloc_usable_size(p) >= n", () => {
    const c = bind();
    for (const align of ALIGNMENTS) {
      for (const n of [0, 1, 7, 100, 5000]) {
        const blocks = [c.aligned_alloc(align, n), c.memalign(align, n)];
        if (align >= 4) {
          expect(c.posix_memalign(MEMPTR, align, n)).toBe(0);
          blocks.push(c.memory.u32[MEMPTR / 4]);
        }
        for (const p of blocks) {
          expect(p).not.toBe(0);
          expect(p % Math.max(align, 16)).toBe(0);
          expect(c.malloc_usable_size(p)).toBeGreaterThanOrEqual(n);
          c.memory.u8.fill(0xab, p, p + n); // the whole block is writable
          c.free(p);
        }
      }
    }
    for (let n = 0; n < 300; n += 13) {
      const p = c.malloc(n);
      expect(p % 16).toBe(0);
      expect(c.malloc_usable_size(p)).toBeGreaterThanOrEqual(n);
    }
    expect(c.malloc_usable_size(0)).toBe(0);
  });

  it("realloc grows and shrinks keeping the contents; realloc(NULL, n) is malloc(n)", () => {
    const c = bind();
    const p = c.realloc(0, 100);
    expect(p).not.toBe(0);
    for (let i = 0; i < 100; i++) c.memory.u8[p + i] = i;
    const other = c.malloc(8); // so the block cannot simply grow at the top
    const grown = c.realloc(p, 10_000);
    expect(grown).not.toBe(0);
    expect(c.malloc_usable_size(grown)).toBeGreaterThanOrEqual(10_000);
    expect([...c.memory.u8.subarray(grown, grown + 100)]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const shrunk = c.realloc(grown, 10);
    expect([...c.memory.u8.subarray(shrunk, shrunk + 10)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.malloc_usable_size(shrunk)).toBeGreaterThanOrEqual(10);
    c.free(shrunk);
    c.free(other);
  });

  it("a failed realloc leaves the block live and untouched; reallocf frees it", () => {
    const c = bind();
    const p = c.malloc(64);
    c.memory.u8.fill(7, p, p + 64);
    expect(c.realloc(p, HEAP)).toBe(0);
    expect(c.errno).toBe(ENOMEM);
    expect(c.malloc_usable_size(p)).toBeGreaterThanOrEqual(64);
    expect(c.memory.u8.subarray(p, p + 64).every((b) => b === 7)).toBe(true);
    expect(c.reallocarray(p, 65536, 65537)).toBe(0);
    expect(c.memory.u8[p]).toBe(7);
    const q = c.realloc(p, 128); // still usable afterwards
    expect(c.memory.u8[q + 63]).toBe(7);
    expect(c.reallocf(q, HEAP)).toBe(0);
    expect(c.errno).toBe(ENOMEM);
  });

  it("calloc zeroes, and fails on overflow in both argument orders", () => {
    const c = bind();
    const dirty = c.malloc(400);
    c.memory.u8.fill(0xff, dirty, dirty + 400);
    c.free(dirty);
    const p = c.calloc(100, 4);
    expect(c.memory.u8.subarray(p, p + 400).every((b) => b === 0)).toBe(true);
    expect(c.calloc(0, 2 ** 40)).not.toBe(0); // 0 bytes: no overflow
    for (const [a, b] of [
      [65536, 65537],
      [2 ** 32 - 1, 2],
      [2 ** 16, 2 ** 16],
      [2 ** 31, 2 ** 31],
    ]) {
      c.errno = 0;
      expect(c.calloc(a, b)).toBe(0);
      expect(c.errno).toBe(ENOMEM);
      c.errno = 0;
      expect(c.calloc(b, a)).toBe(0);
      expect(c.errno).toBe(ENOMEM);
    }
  });

  it("posix_memalign: EINVAL unless a power-of-two multiple of sizeof(void*), which itself is allowed", () => {
    const c = bind();
    c.memory.u32[MEMPTR / 4] = 12345;
    for (const align of [0, 1, 2, 3, 12, 24, 2 ** 32, 2 ** 33]) {
      expect(c.posix_memalign(MEMPTR, align, 8)).toBe(EINVAL);
    }
    expect(c.memory.u32[MEMPTR / 4]).toBe(12345); // untouched on failure
    expect(c.posix_memalign(MEMPTR, 4, 8)).toBe(0);
    expect(c.memory.u32[MEMPTR / 4]).not.toBe(12345);
    expect(bind({ pointerSize: 8 }).posix_memalign(MEMPTR, 4, 8)).toBe(EINVAL); // wasm64 / 64-bit targets
    expect(bind({ pointerSize: 8 }).posix_memalign(MEMPTR, 8, 8)).toBe(0);
  });

  it("aligned_alloc and memalign reject bad alignments with EINVAL (glibc rounds memalign's up)", () => {
    const c = bind();
    for (const align of [0, 3, 24, 2 ** 32]) {
      c.errno = 0;
      expect(c.aligned_alloc(align, 48)).toBe(0);
      expect(c.errno).toBe(EINVAL);
    }
    c.errno = 0;
    expect(c.memalign(2 ** 32, 8)).toBe(0);
    expect(c.errno).toBe(EINVAL);
    const rounded = c.memalign(48, 8); // glibc: 48 -> 64
    expect(rounded % 64).toBe(0);
    expect(c.memalign(0, 8) % 16).toBe(0);
  });

  it("valloc aligns to the page; pvalloc also rounds the size up to whole pages", () => {
    const c = bind({ pageSize: 4096 });
    const v = c.valloc(10);
    expect(v % 4096).toBe(0);
    const p = c.pvalloc(4097);
    expect(p % 4096).toBe(0);
    expect(c.malloc_usable_size(p)).toBeGreaterThanOrEqual(8192);
    expect(c.pvalloc(0)).not.toBe(0);
    expect(bind({ pageSize: 65536 }).valloc(1) % 65536).toBe(0);
  });

  it("free_sized and free_aligned_sized free, and reject a size or alignment the block cannot have", () => {
    const c = bind();
    const p = c.malloc(100);
    expect(() => c.free_sized(p, 100_000)).toThrow(/size must be/);
    c.free_sized(p, 100);
    const a = c.aligned_alloc(256, 512);
    expect(() => c.free_aligned_sized(a + 16, 256, 512)).toThrow(RangeError);
    expect(() => c.free_aligned_sized(a, 3, 512)).toThrow(/align/);
    c.free_aligned_sized(a, 256, 512);
    c.free_sized(0, 5);
  });

  it("stops at the heap maximum given, whatever the allocator could do", () => {
    const c = bind({ maxSize: 1 << 20 });
    expect(c.malloc((1 << 20) + 1)).toBe(0);
    expect(c.errno).toBe(ENOMEM);
    expect(c.malloc(1 << 19)).not.toBe(0);
  });

  it("rejects bad JS arguments with a RangeError naming them, state unchanged", () => {
    const c = bind();
    expect(() => c.malloc(-1)).toThrow(/size/);
    expect(() => c.malloc(1.5)).toThrow(/size/);
    expect(() => c.malloc(Number.NaN)).toThrow(/size/);
    expect(() => c.malloc(Number.POSITIVE_INFINITY)).toThrow(/size/);
    expect(() => c.calloc(-1, 1)).toThrow(/count/);
    expect(() => c.free(-8)).toThrow(/ptr/);
    expect(() => c.realloc(2 ** 32, 1)).toThrow(/ptr/);
    expect(() => c.posix_memalign(HEAP, 8, 8)).toThrow(/memptr/);
    expect(() => c.aligned_alloc(0.5, 8)).toThrow(/align/);
    expect(c.errno).toBe(0);
  });
});
