import { afterEach, describe, expect, it } from "vitest";
import { classOf, ElfMalloc, MAX_SMALL, SIZE_CLASSES } from "../src/index.js";
import { fillBlock, verifyBlock } from "./pattern.js";

const MiB = 1 << 20;
const heaps: ElfMalloc[] = [];
function heap(maxBytes = 256 * MiB, checked = false): ElfMalloc {
  const h = ElfMalloc.create({ maxBytes, checked });
  heaps.push(h);
  return h;
}
afterEach(() => {
  for (const h of heaps.splice(0)) h.detach();
});

describe("size classes", () => {
  it("cover every size up to 128 KiB with at most 25% waste above 128 B", () => {
    for (let size = 1; size <= MAX_SMALL; size++) {
      const c = SIZE_CLASSES[classOf(size)];
      expect(c.size).toBeGreaterThanOrEqual(size);
      if (c.index > 0) expect(SIZE_CLASSES[c.index - 1].size).toBeLessThan(size);
      if (size > 128) expect(c.size / size).toBeLessThanOrEqual(1.25);
    }
  });

  it("fit at least 4 blocks on each slab, bit-sets and header included", () => {
    for (const c of SIZE_CLASSES) {
      expect(c.objects).toBeGreaterThanOrEqual(4);
      expect(c.objects * c.size + 64 + c.words * 8).toBeLessThanOrEqual(c.slabBytes);
      expect(c.cutoff).toBeGreaterThanOrEqual(1);
      expect(c.cutoff).toBeLessThan(c.objects);
    }
  });
});

describe("malloc and free", () => {
  it("serves every size from 1 B to 8 MiB, aligned, writable, with usableSize >= size", () => {
    const h = heap();
    const sizes: number[] = [];
    for (let s = 1; s <= 4096; s++) sizes.push(s);
    for (let s = 4096; s <= 8 * MiB; s = Math.ceil(s * 1.07)) sizes.push(s - 1, s, s + 1);
    sizes.push(8 * MiB);
    for (const size of sizes) {
      const ptr = h.malloc(size);
      expect(ptr).not.toBe(0);
      expect(ptr % 16).toBe(0);
      expect(h.usableSize(ptr)).toBeGreaterThanOrEqual(size);
      h.u8[ptr] = 1;
      h.u8[ptr + size - 1] = 2;
      h.free(ptr);
    }
    expect(h.check()).toEqual([]);
    expect(h.stats().liveBytes).toBe(0);
  });

  it("keeps live blocks apart and intact", () => {
    const h = heap();
    const live: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const ptr = h.malloc(8 + ((i * 7919) % 3000));
      fillBlock(h, ptr, Math.min(h.usableSize(ptr), 64));
      live.push(ptr);
      if (i % 3 === 0) {
        const victim = live.splice((i * 31) % live.length, 1)[0];
        expect(verifyBlock(h, victim)).toBe(true);
        h.free(victim);
      }
    }
    expect(new Set(live).size).toBe(live.length);
    for (const ptr of live) expect(verifyBlock(h, ptr)).toBe(true);
    expect(h.check()).toEqual([]);
    for (const ptr of live) h.free(ptr);
    expect(h.check()).toEqual([]);
    expect(h.stats().liveBlocks).toBe(0);
  });

  it("reuses freed blocks", () => {
    const h = heap();
    const a = h.malloc(100);
    h.free(a);
    expect(h.malloc(100)).toBe(a);
  });

  it("honours every alignment from 1 to 1 MiB", () => {
    const h = heap();
    for (let align = 1; align <= MiB; align *= 2) {
      for (const size of [1, 24, align, align + 1, 3 * align]) {
        const ptr = h.alignedAlloc(align, size);
        expect(ptr % align).toBe(0);
        expect(h.usableSize(ptr)).toBeGreaterThanOrEqual(size);
        h.u8.fill(0xaa, ptr, ptr + size);
        h.free(ptr);
      }
      const ptr = h.alloc(40, align);
      expect(ptr % align).toBe(0);
      h.dealloc(ptr);
    }
    expect(h.check()).toEqual([]);
  });

  it("ignores free(0) and rejects bad input with a RangeError naming the argument", () => {
    const h = heap();
    h.free(0);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 32 + 1, Number.POSITIVE_INFINITY]) {
      expect(() => h.malloc(bad)).toThrow(/^size must be/);
    }
    expect(() => h.alignedAlloc(24, 8)).toThrow(/^align must be/);
    expect(() => h.calloc(-1, 8)).toThrow(/^n must be/);
    expect(() => h.calloc(8, Number.NaN)).toThrow(/^size must be/);
    expect(() => h.free(12345)).toThrow(RangeError);
    expect(() => h.free(-16)).toThrow(/^ptr must be/);
    expect(() => h.free(16.5)).toThrow(/^ptr must be/);
    expect(() => h.usableSize(64)).toThrow(/not a block/);
    // Beyond the heap's span: no page-map entry to read, still a RangeError (and one that names the pointer).
    for (const far of [h.space.maxBytes, h.space.maxBytes + 65536, 2 ** 32 - 16]) {
      expect(() => h.free(far)).toThrow(/not a block/);
      expect(() => h.usableSize(far)).toThrow(/not a block/);
    }
    expect(h.check()).toEqual([]);
  });

  it("returns 0 for requests the heap cannot hold, and stays usable", () => {
    const h = heap(32 * MiB);
    expect(h.malloc(2 ** 32)).toBe(0);
    expect(h.malloc(64 * MiB)).toBe(0);
    expect(h.calloc(2 ** 20, 2 ** 13)).toBe(0);
    expect(h.calloc(2 ** 31, 4)).toBe(0);
    const blocks: number[] = [];
    for (;;) {
      const ptr = h.malloc(100_000);
      if (ptr === 0) break;
      blocks.push(ptr);
    }
    expect(blocks.length).toBeGreaterThan(100);
    const small = h.malloc(16);
    for (const ptr of blocks) h.free(ptr);
    if (small) h.free(small);
    expect(h.malloc(8 * MiB)).not.toBe(0);
    expect(h.check()).toEqual([]);
  });
});

describe("calloc and realloc", () => {
  it("zeroes reused memory", () => {
    const h = heap();
    for (const size of [24, 1000, 20_000, 300_000]) {
      const dirty = h.malloc(size);
      h.u8.fill(0xff, dirty, dirty + size);
      h.free(dirty);
      const ptr = h.calloc(1, size);
      expect(h.u8.subarray(ptr, ptr + size).every((b) => b === 0)).toBe(true);
      const z = h.allocZeroed(size, 64);
      expect(z % 64).toBe(0);
      expect(h.u8.subarray(z, z + size).every((b) => b === 0)).toBe(true);
      h.free(ptr);
      h.free(z);
    }
  });

  it("zeroes large blocks whose pages were unmapped without zeroing (more frees than the large cache holds)", () => {
    const h = heap();
    const size = 300_000;
    const blocks = Array.from({ length: 16 }, () => h.malloc(size));
    for (const p of blocks) h.u8.fill(0xee, p, p + size);
    for (const p of blocks) h.free(p);
    const zeroed = Array.from({ length: 16 }, () => h.calloc(1, size));
    expect(zeroed.filter((p) => blocks.includes(p)).length).toBeGreaterThan(8);
    for (const p of zeroed) expect(h.u8.subarray(p, p + size).every((b) => b === 0)).toBe(true);
    for (const p of zeroed) h.free(p);
    expect(h.check()).toEqual([]);
  });

  it("grows and shrinks with contents kept, in place within a class", () => {
    const h = heap();
    let ptr = h.malloc(20);
    fillBlock(h, ptr, 20);
    let origin = ptr;
    expect(h.realloc(ptr, 30)).toBe(ptr);
    for (const size of [100, 5000, 200_000, 3 * MiB, 150_000, 4000, 40]) {
      const moved = h.realloc(ptr, size);
      expect(moved).not.toBe(0);
      expect(verifyBlock(h, moved, origin, size)).toBe(true);
      fillBlock(h, moved, Math.min(size, 4000));
      ptr = moved;
      origin = moved;
    }
    expect(h.realloc(0, 64)).not.toBe(0);
    const aligned = h.realloc(ptr, 5000, 4096);
    expect(aligned % 4096).toBe(0);
    expect(h.check()).toEqual([]);
  });

  it("leaves the block untouched when realloc fails", () => {
    const h = heap(32 * MiB);
    const ptr = h.malloc(1000);
    fillBlock(h, ptr, 1000);
    expect(h.realloc(ptr, 64 * MiB)).toBe(0);
    expect(verifyBlock(h, ptr)).toBe(true);
    h.free(ptr);
  });
});

describe("typed-array helpers", () => {
  it("allocate typed views in the heap", () => {
    const h = heap();
    const f64 = h.mallocAs(Float64Array, 100)!;
    expect(f64.length).toBe(100);
    expect(f64.byteOffset % 8).toBe(0);
    f64[99] = 1.5;
    expect(h.f64[f64.byteOffset / 8 + 99]).toBe(1.5);
    h.freeView(f64);
    const zeros = h.callocAs(Uint32Array, 1000)!;
    expect(zeros.every((x) => x === 0)).toBe(true);
    expect(h.mallocAs(Uint8Array, 2 ** 31)).toBeNull();
    h.freeView(zeros);
  });
});

describe("checked mode", () => {
  it("detects double frees, interior pointers and foreign pointers", () => {
    const h = heap(64 * MiB, true);
    const ptr = h.malloc(48);
    h.free(ptr);
    expect(() => h.free(ptr)).toThrow(/double free/);
    const other = h.malloc(48);
    expect(() => h.free(other + 48 * 0 + 16)).toThrow(/interior pointer|double free/);
    expect(() => h.free(other + 8)).toThrow(RangeError);
    const large = h.malloc(300_000);
    expect(() => h.free(large + 65536)).toThrow(/not a block/);
    h.free(large);
    expect(() => h.free(large)).toThrow(/not a block/);
    h.free(other);
    expect(h.check()).toEqual([]);
  });
});

describe("limits", () => {
  it("runs in a 4 MiB heap", () => {
    const h = heap(4 * MiB);
    const blocks: number[] = [];
    for (let p = h.malloc(1000); p !== 0; p = h.malloc(1000)) blocks.push(p);
    expect(blocks.length).toBeGreaterThan(1000);
    for (const p of blocks) h.free(p);
    expect(h.check()).toEqual([]);
  });

  it("fits as many blocks again once everything is freed, whatever the thread cached meanwhile", () => {
    const h = heap(4 * MiB);
    const fill = (size: number) => {
      const blocks: number[] = [];
      for (let p = h.malloc(size); p !== 0; p = h.malloc(size)) blocks.push(p);
      for (const p of blocks) h.free(p);
      return blocks.length;
    };
    const first = fill(64);
    for (const size of [100_000, 1024, 8192, 16, 256, 4096, 65536]) h.free(h.malloc(size));
    expect(h.stats().cachedBytes).toBeGreaterThan(0);
    for (let round = 0; round < 3; round++) expect(fill(64)).toBe(first);
    expect(h.check()).toEqual([]);
  });

  it("reuses the free blocks of every partly free slab, however many, lowest address first, and returns them once empty", () => {
    // 8000 slabs of 128 B blocks, each left 70% free: all of them available at once.
    const h = heap(1024 * MiB);
    const perSlab = SIZE_CLASSES[classOf(128)].objects;
    const blocks = new Uint32Array(8000 * perSlab);
    for (let i = 0; i < blocks.length; i++) blocks[i] = h.malloc(128);
    for (let i = 0; i < blocks.length; i++) if (i % 10 < 7) h.free(blocks[i]);
    expect(h.check()).toEqual([]);
    h.trim();
    const slabBytes = h.stats().slabBytes;
    const again = new Uint32Array(Math.floor(blocks.length * 0.69));
    for (let i = 0; i < again.length; i++) again[i] = h.malloc(128);
    expect(h.stats().slabBytes).toBe(slabBytes);
    const lowest = Math.min(...blocks.subarray(0, 10 * perSlab));
    expect(Math.min(...again.subarray(0, perSlab))).toBeLessThan(
      lowest + 10 * SIZE_CLASSES[classOf(128)].slabBytes,
    );
    for (const p of again) h.free(p);
    for (let i = 0; i < blocks.length; i++) if (i % 10 >= 7) h.free(blocks[i]);
    h.detach();
    const after = ElfMalloc.attach(h.share());
    heaps.push(after);
    const stats = after.stats();
    expect(stats.liveBytes).toBe(0);
    expect(stats.slabBytes).toBe(stats.pooledBytes);
    expect(after.check()).toEqual([]);
  });
});

describe("growth", () => {
  it("grows the buffer in steps of about 1/32 of it, not by half", () => {
    for (const backing of ["shared", "local"] as const) {
      const h = ElfMalloc.create({ maxBytes: 256 * MiB, backing });
      heaps.push(h);
      const blocks: number[] = [];
      for (let live = 0; live < 24 * MiB; live += 3000) blocks.push(h.malloc(3000));
      for (let i = 0; i < 4; i++) blocks.push(h.malloc(MAX_SMALL + 1 + i * 300_000));
      const { heapBytes, mappedBytes } = h.stats();
      const reserved = h.space.stats().reservedBytes;
      expect(heapBytes - mappedBytes - reserved).toBeLessThanOrEqual(heapBytes / 32 + 2 * 65536);
      for (const p of blocks) h.free(p);
      expect(h.check()).toEqual([]);
    }
  });
});

describe("stats and reclamation", () => {
  it("counts live, cached and large bytes, and returns empty slabs", () => {
    const h = heap();
    const blocks = Array.from({ length: 5000 }, () => h.malloc(64));
    const large = h.malloc(MiB);
    let stats = h.stats();
    expect(stats.liveBlocks).toBe(5001);
    expect(stats.liveBytes).toBe(5000 * 64 + MiB);
    expect(stats.largeBlocks).toBe(1);
    expect(stats.classes.find((c) => c.size === 64)?.liveBlocks).toBe(5000);
    for (const ptr of blocks) h.free(ptr);
    h.free(large);
    stats = h.stats();
    expect(stats.liveBytes).toBe(0);
    expect(stats.cachedBytes).toBeGreaterThan(0);
    h.detach();
    const other = ElfMalloc.attach(h.share());
    heaps.push(other);
    stats = other.stats();
    expect(stats.cachedBytes).toBe(0);
    expect(stats.pooledBytes + (stats.mappedBytes - stats.slabBytes)).toBeGreaterThan(0);
    expect(stats.slabBytes).toBe(stats.pooledBytes);
    expect(other.check()).toEqual([]);
  });

  it("parks a thread's emptied 16 KiB slabs as its spares, and pools them on trim", () => {
    const h = heap();
    const other = ElfMalloc.attach(h.share());
    heaps.push(other);
    const batch = (t: ElfMalloc) => Array.from({ length: 3000 }, () => t.malloc(64));
    for (const ptr of batch(h)) h.free(ptr);
    const emptied = h.stats();
    // Its spares (4 slabs of 16 KiB) count as parked, and are its own: another thread maps new slabs instead.
    expect(emptied.pooledBytes).toBeGreaterThanOrEqual(4 * 16384);
    expect(h.check()).toEqual([]);
    const theirs = batch(other);
    expect(other.stats().slabBytes - emptied.slabBytes).toBeGreaterThanOrEqual(4 * 16384);
    for (const ptr of theirs) other.free(ptr);
    // Trimmed, they go to the shared pool, and the other thread's next batch maps nothing.
    h.trim();
    other.trim();
    const trimmed = other.stats().slabBytes;
    for (const ptr of batch(other)) other.free(ptr);
    expect(other.stats().slabBytes).toBe(trimmed);
    expect(h.check()).toEqual([]);
  });
});

describe("kept slabs", () => {
  it("keeps the slabs its own frees bring back to the cutoff for the thread, and offers them on trim", () => {
    const h = heap();
    const other = ElfMalloc.attach(h.share());
    heaps.push(other);
    const c = SIZE_CLASSES[classOf(64)];
    const blocks = Array.from({ length: 4 * c.objects }, () => h.malloc(64));
    const slabOf = (ptr: number) => ptr - (ptr % 16384);
    const slabs = new Set(blocks.map(slabOf));
    expect(slabs.size).toBe(4);
    // Half of every slab comes back: past the reuse cutoff, far from empty.
    for (let i = 0; i < blocks.length; i += 2) h.free(blocks[i]);
    expect(h.check()).toEqual([]);
    // Kept for h, they are in no available set: another thread's 64 B blocks come from elsewhere ...
    const theirs = Array.from({ length: 50 }, () => other.malloc(64));
    expect(theirs.some((p) => slabs.has(slabOf(p)))).toBe(false);
    // ... while h allocates from them again before it takes any other slab.
    const again = Array.from({ length: 2 * c.objects }, () => h.malloc(64));
    expect(again.every((p) => slabs.has(slabOf(p)))).toBe(true);
    expect(h.check()).toEqual([]);
    // On trim they go to the class's set (or, emptied, to the pages), where any thread finds them.
    for (const p of again) h.free(p);
    h.trim();
    expect(h.check()).toEqual([]);
    other.trim();
    const next = Array.from({ length: c.objects }, () => other.malloc(64));
    expect(next.some((p) => slabs.has(slabOf(p)))).toBe(true);
    expect(other.check()).toEqual([]);
  });
});

describe("large-block cache", () => {
  it("reuses a freed large block without unmapping it, and zeroes it for calloc", () => {
    const h = heap();
    const a = h.malloc(3 * MiB);
    h.u8.fill(0xee, a, a + 3 * MiB);
    h.free(a);
    expect(h.stats()).toMatchObject({ largeBlocks: 0, largeCachedBytes: 3 * MiB });
    expect(() => h.free(a)).toThrow(/not a block/);
    expect(h.owns(a)).toBe(false);
    expect(h.check()).toEqual([]);
    const b = h.malloc(2 * MiB + 1);
    expect(b).toBe(a);
    expect(h.usableSize(b)).toBe(3 * MiB);
    h.free(b);
    const z = h.calloc(1, 3 * MiB);
    expect(z).toBe(a);
    expect(h.u8.subarray(z, z + 3 * MiB).every((x) => x === 0)).toBe(true);
    expect(h.malloc(MiB)).not.toBe(a); // would waste more than half of the cached 3 MiB: newly mapped
    expect(h.stats().largeCachedBytes).toBe(0);
    expect(h.check()).toEqual([]);
  });

  it("holds at most an eighth of the live large bytes, or 8 MiB", () => {
    const h = heap();
    const blocks = [h.malloc(4 * MiB), h.malloc(4 * MiB), h.malloc(4 * MiB)];
    for (const p of blocks) h.free(p);
    expect(h.stats().largeCachedBytes).toBe(8 * MiB);
    const live = Array.from({ length: 20 }, () => h.malloc(4 * MiB)); // 80 MiB live: room for 10 MiB
    for (const p of live.slice(0, 4)) h.free(p);
    expect(h.stats().largeCachedBytes).toBeLessThanOrEqual(Math.max(8 * MiB, h.stats().largeBytes / 8));
    for (const p of live.slice(4)) h.free(p);
    expect(h.check()).toEqual([]);
  });

  it("gives cached blocks back to the address space before running out", () => {
    const h = heap(8 * MiB);
    const a = h.malloc(5 * MiB);
    h.free(a);
    expect(h.stats().largeCachedBytes).toBe(5 * MiB);
    const b = h.malloc(2 * MiB);
    expect(b).not.toBe(0);
    const c = h.malloc(3 * MiB);
    expect(c).not.toBe(0);
    expect(h.stats().largeCachedBytes).toBe(0);
    h.free(b);
    h.free(c);
    expect(h.check()).toEqual([]);
  });
});
