import { AddressSpace } from "@allocators/mmap-alloc";
import { describe, expect, it } from "vitest";
import { SlabAlloc, type SlabAllocOptions } from "../src/index.js";
import { mappedBytes, newSpace, RUST_SIZES, random } from "./helpers.js";

const PAGE = 4096;

/**
 * Random alloc/free sequence with content verification: every live object is filled with its own byte, an
 * occupancy map proves no two live objects overlap, and each object is verified before it is freed and at the
 * end (the allocator's metadata must never write into a live object).
 */
function churn(space: AddressSpace, slab: SlabAlloc, steps: number, seed: number): void {
  const { size, align } = slab.layout;
  const next = random(seed);
  const live: number[] = [];
  const marks: number[] = [];
  const occupied = new Uint8Array(space.maxBytes);
  let serial = 0;
  const verify = (ptr: number, mark: number) => {
    for (let i = 0; i < size; i++) {
      if (space.u8[ptr + i] !== mark)
        throw new Error(`object ${ptr} byte ${i} overwritten (size ${size}, align ${align})`);
    }
  };
  for (let step = 0; step < steps; step++) {
    if (live.length > 0 && next() < 0.45 + (live.length > 200 ? 0.3 : 0)) {
      const k = Math.floor(next() * live.length);
      const ptr = live[k];
      verify(ptr, marks[k]);
      occupied.fill(0, ptr, ptr + size);
      live[k] = live[live.length - 1];
      marks[k] = marks[marks.length - 1];
      live.pop();
      marks.pop();
      slab.dealloc(ptr);
    } else {
      const ptr = slab.alloc();
      if (ptr === 0) throw new Error("out of memory in a test that should not run out");
      if (ptr % align !== 0) throw new Error(`misaligned ${ptr} for align ${align}`);
      if (occupied.subarray(ptr, ptr + size).some((b) => b !== 0))
        throw new Error(`${ptr} overlaps a live object`);
      occupied.fill(1, ptr, ptr + size);
      const mark = (++serial % 255) + 1;
      space.u8.fill(mark, ptr, ptr + size);
      live.push(ptr);
      marks.push(mark);
    }
  }
  for (let k = 0; k < live.length; k++) verify(live[k], marks[k]);
  expect(slab.check()).toEqual([]);
  expect(slab.stats().liveObjects).toBe(live.length);
  for (const ptr of live) slab.dealloc(ptr);
  expect(slab.check()).toEqual([]);
}

describe("the Rust crate's object sizes times every alignment up to the page size", () => {
  for (const size of RUST_SIZES) {
    it(`${size} B objects, alignments 1 to ${PAGE}`, () => {
      const space = newSpace(1 << 25);
      for (let align = 1; align <= PAGE; align *= 2) {
        const slab = new SlabAlloc(space, { size, align, workingSetMs: 0 });
        churn(space, slab, size * Math.max(size, align) > 1 << 20 ? 500 : 1200, size * 31 + align);
        slab.dispose();
        expect(mappedBytes(space)).toBe(0);
      }
    });
  }

  it("both slab kinds, checked and unchecked, for a few sizes", () => {
    const space = newSpace(1 << 25);
    for (const size of [1, 24, 100, 512, 700, 4096]) {
      for (const kind of ["aligned", "large"] as const) {
        for (const checked of [true, false]) {
          const slab = new SlabAlloc(space, { size, align: 4, kind, checked });
          expect(slab.stats().kind).toBe(kind);
          churn(space, slab, 3000, size);
          slab.dispose();
          expect(mappedBytes(space)).toBe(0);
        }
      }
    }
  });
});

describe("constructed-object caching", () => {
  it("skips the constructor when it hands back a freed object, which keeps its state", () => {
    const space = newSpace(1 << 22);
    let inits = 0;
    const slab = new SlabAlloc(space, {
      size: 16,
      align: 8,
      init: (p) => {
        inits++;
        space.f64[p / 8] = 42;
        space.f64[p / 8 + 1] = -1;
      },
    });
    const a = slab.alloc();
    expect(inits).toBe(1);
    expect(space.f64[a / 8]).toBe(42);
    space.f64[a / 8 + 1] = 7; // state the caller leaves in the object
    slab.dealloc(a);
    const b = slab.alloc();
    expect(b).toBe(a);
    expect(inits).toBe(1);
    expect(space.f64[b / 8 + 1]).toBe(7);
    const many = Array.from({ length: 1000 }, () => slab.alloc());
    expect(inits).toBe(1001);
    const n = slab.stats().objectsPerSlab;
    for (let round = 0; round < 3; round++) {
      for (const p of many) slab.dealloc(p);
      for (let i = 0; i < 1000; i++) many[i] = slab.alloc();
    }
    // At most the never-constructed rest of the last slab was constructed on the way; then nothing more.
    const settled = inits;
    expect(settled).toBeLessThanOrEqual(1001 + n);
    for (const p of many) slab.dealloc(p);
    for (let i = 0; i < 1000; i++) many[i] = slab.alloc();
    expect(inits).toBe(settled);
    expect(slab.stats().constructorCalls).toBe(settled);
    expect(slab.check()).toEqual([]);
  });

  it("runs the destructor on constructed objects when their slab is released, and on dispose", () => {
    const space = newSpace(1 << 22);
    const destroyed = new Set<number>();
    const slab = new SlabAlloc(space, {
      size: 64,
      init: () => {},
      destroy: (p) => destroyed.add(p),
      workingSetMs: 0,
    });
    const ptrs = Array.from({ length: 500 }, () => slab.alloc());
    const perSlab = slab.stats().objectsPerSlab;
    for (const p of ptrs) slab.dealloc(p);
    // Every slab but the current one went back at once (window 0), destroying its objects.
    expect(slab.stats().slabs).toBe(1);
    expect(destroyed.size).toBe(500 - (500 % perSlab || perSlab));
    slab.dispose();
    expect(destroyed.size).toBe(500);
    expect(new Set(ptrs)).toEqual(destroyed);
    expect(mappedBytes(space)).toBe(0);
  });

  it("does not count an object as constructed when the constructor throws", () => {
    const space = newSpace(1 << 22);
    let fail = true;
    let inits = 0;
    const slab = new SlabAlloc(space, {
      size: 8,
      init: () => {
        inits++;
        if (fail) throw new Error("constructor failed");
      },
    });
    expect(() => slab.alloc()).toThrow("constructor failed");
    expect(slab.stats().liveObjects).toBe(0);
    expect(slab.check()).toEqual([]);
    fail = false;
    slab.alloc();
    expect(inits).toBe(2);
    expect(slab.stats().constructorCalls).toBe(1);
  });

  it("hands out zeroed objects when zeroed, clearing reused ones", () => {
    const space = newSpace(1 << 22);
    const slab = new SlabAlloc(space, { size: 40, zeroed: true });
    const a = slab.alloc();
    space.u8.fill(0xab, a, a + 40);
    slab.dealloc(a);
    const b = slab.alloc();
    expect(b).toBe(a);
    expect(space.u8.subarray(b, b + 40).every((x) => x === 0)).toBe(true);
    expect(() => new SlabAlloc(space, { size: 8, zeroed: true, init: () => {} })).toThrow(/zeroed/);
  });
});

describe("slab lists and the working set", () => {
  it("keeps empty slabs for a window of time, then returns those unused for a whole window", () => {
    const space = newSpace(1 << 23);
    let clock = 0;
    const slab = new SlabAlloc(space, { size: 256, workingSetMs: 1000, now: () => clock });
    const perSlab = slab.stats().objectsPerSlab;
    const ptrs = Array.from({ length: perSlab * 10 }, () => slab.alloc());
    expect(slab.stats()).toMatchObject({ slabs: 10, fullSlabs: 10, partialSlabs: 0 });
    for (const p of ptrs) slab.dealloc(p);
    // All empty; the last one stays current in the partial list, the others wait in the empty list.
    expect(slab.stats()).toMatchObject({ slabs: 10, emptySlabs: 9, partialSlabs: 1, liveObjects: 0 });
    clock = 500;
    expect(slab.reclaim()).toBe(0);
    clock = 1000;
    expect(slab.reclaim()).toBe(0); // the window started with no empty slab: none was idle all along
    // Reuse 3 slabs during the next window: the minimum number of empty slabs drops to 6.
    const again = Array.from({ length: perSlab * 4 }, () => slab.alloc());
    for (const p of again) slab.dealloc(p);
    clock = 2000;
    expect(slab.reclaim()).toBe(6);
    expect(slab.stats()).toMatchObject({ slabs: 4, emptySlabs: 3, slabsReleased: 6 });
    expect(mappedBytes(space)).toBe(4 * slab.stats().slabBytes);
    expect(slab.trim()).toBe(4);
    expect(mappedBytes(space)).toBe(0);
    expect(slab.check()).toEqual([]);
    expect(slab.alloc()).not.toBe(0);
  });

  it("moves slabs between partial, full and empty as objects come and go", () => {
    const space = newSpace(1 << 22);
    const slab = new SlabAlloc(space, { size: 100, align: 4 });
    const n = slab.stats().objectsPerSlab;
    const first = Array.from({ length: n }, () => slab.alloc());
    const second = Array.from({ length: n + 1 }, () => slab.alloc());
    expect(slab.stats()).toMatchObject({ fullSlabs: 2, partialSlabs: 1, emptySlabs: 0 });
    slab.dealloc(first[0]);
    expect(slab.stats()).toMatchObject({ fullSlabs: 1, partialSlabs: 2 });
    for (const p of first.slice(1)) slab.dealloc(p);
    expect(slab.stats()).toMatchObject({ fullSlabs: 1, partialSlabs: 1, emptySlabs: 1 });
    expect(slab.check()).toEqual([]);
    for (const p of second) slab.dealloc(p);
    expect(slab.stats()).toMatchObject({ fullSlabs: 0, partialSlabs: 1, emptySlabs: 2, liveObjects: 0 });
    expect(slab.check()).toEqual([]);
  });

  it("colours consecutive slabs with different offsets", () => {
    const space = newSpace(1 << 22);
    const slab = new SlabAlloc(space, { size: 300, align: 4 });
    const { objectsPerSlab: n, slabBytes, colours } = slab.stats();
    expect(colours).toBeGreaterThan(1);
    const firsts: number[] = [];
    for (let s = 0; s < colours; s++) {
      firsts.push(slab.alloc() % slabBytes);
      for (let i = 1; i < n; i++) slab.alloc();
    }
    expect(new Set(firsts).size).toBe(colours);
    expect(slab.check()).toEqual([]);
  });

  it("returns 0 when the address space is full, and stays usable", () => {
    const space = newSpace(64 * PAGE);
    const slab = new SlabAlloc(space, { size: 1000, kind: "large" });
    const live: number[] = [];
    for (let p = slab.alloc(); p !== 0; p = slab.alloc()) live.push(p);
    expect(live.length).toBeGreaterThan(100);
    expect(slab.alloc()).toBe(0);
    slab.dealloc(live.pop()!);
    expect(slab.alloc()).not.toBe(0);
    expect(slab.check()).toEqual([]);
  });
});

describe("large-object slabs", () => {
  it("finds out-of-line headers through the page map, for objects of several pages", () => {
    const space = newSpace(1 << 24);
    const slab = new SlabAlloc(space, { size: 3 * PAGE + 100, align: 64 });
    const stats = slab.stats();
    expect(stats.kind).toBe("large");
    const ptrs = Array.from({ length: stats.objectsPerSlab * 3 + 1 }, () => slab.alloc());
    expect(slab.check()).toEqual([]);
    expect(() => slab.dealloc(ptrs[0] + PAGE)).toThrow(/start of an object/);
    for (const p of ptrs) slab.dealloc(p);
    expect(slab.stats().liveObjects).toBe(0);
    expect(slab.check()).toEqual([]);
  });
});

describe("misuse", () => {
  const options: SlabAllocOptions = { size: 24, align: 8, checked: true };
  for (const kind of ["aligned", "large"] as const) {
    it(`checked mode rejects foreign, interior and double frees, and leaves the allocator unchanged (${kind})`, () => {
      const space = newSpace(1 << 22);
      const slab = new SlabAlloc(space, { ...options, kind });
      const other = new SlabAlloc(space, { ...options, kind });
      const a = slab.alloc();
      const b = slab.alloc();
      const foreign = other.alloc();
      const before = slab.stats();
      expect(() => slab.dealloc(foreign)).toThrow(RangeError);
      expect(() => slab.dealloc(a + 8)).toThrow(/ptr must/);
      expect(() => slab.dealloc(123)).toThrow(/ptr must/);
      expect(() => slab.dealloc(-8)).toThrow(/ptr/);
      expect(() => slab.dealloc(1.5)).toThrow(/ptr/);
      expect(() => slab.dealloc(2 ** 40)).toThrow(/ptr/);
      slab.dealloc(a);
      expect(() => slab.dealloc(a)).toThrow(/double free/);
      expect(slab.stats()).toEqual({ ...before, liveObjects: 1, freeObjects: before.freeObjects + 1 });
      expect(slab.check()).toEqual([]);
      expect(slab.owns(b)).toBe(true);
      expect(slab.owns(a)).toBe(false);
      expect(slab.owns(foreign)).toBe(false);
      expect(other.owns(foreign)).toBe(true);
      slab.dealloc(b);
      slab.dealloc(0);
      expect(slab.check()).toEqual([]);
    });

    it(`unchecked (the default) still rejects foreign and interior pointers, unchanged (${kind})`, () => {
      const space = newSpace(1 << 22);
      const slab = new SlabAlloc(space, { size: 24, align: 8, kind });
      const other = new SlabAlloc(space, { size: 24, align: 8, kind });
      expect(slab.stats().checked).toBe(false);
      const a = slab.alloc();
      const foreign = other.alloc();
      const before = slab.stats();
      expect(() => slab.dealloc(foreign)).toThrow(/ptr must be an object of this SlabAlloc/);
      expect(() => slab.dealloc(a + 8)).toThrow(/ptr must/);
      expect(() => slab.dealloc(a + 24 * 10_000)).toThrow(/ptr must/);
      for (const bad of [123, -8, 1.5, 2 ** 40, Number.NaN]) expect(() => slab.dealloc(bad)).toThrow(/ptr/);
      expect(slab.stats()).toEqual(before);
      expect(slab.check()).toEqual([]);
      slab.dealloc(a);
      other.dealloc(foreign);
      expect(slab.check()).toEqual([]);
    });
  }

  it("validates its options, naming them", () => {
    const space = newSpace(1 << 20);
    expect(() => new SlabAlloc(space, { size: -1 })).toThrow(/size/);
    expect(() => new SlabAlloc(space, { size: 8, align: 3 })).toThrow(/align/);
    expect(() => new SlabAlloc(space, { size: 8, align: 8192 })).toThrow(/align/);
    expect(() => new SlabAlloc(space, { size: 8, slabBytes: 5000 })).toThrow(/slabBytes/);
    expect(() => new SlabAlloc(space, { size: 8000, kind: "aligned", slabBytes: 4096 })).toThrow(/slabBytes/);
    expect(() => new SlabAlloc(space, { size: 8, workingSetMs: -1 })).toThrow(/workingSetMs/);
    expect(new SlabAlloc(space, { size: 8, slabBytes: 8192 }).stats().slabBytes).toBe(8192);
    expect(new SlabAlloc(space, { size: 12 }).layout.align).toBe(4);
  });
});

describe("memory that moves", () => {
  it("keeps working when another allocator grows a non-shared WebAssembly.Memory (detaching the buffer)", () => {
    const wasm = new WebAssembly.Memory({ initial: 2, maximum: 512 });
    const space = AddressSpace.create({ maxBytes: 512 * 65536, backing: wasm });
    const a = new SlabAlloc(space, {
      size: 32,
      init: (p) => space.u32.fill(0xc0ffee, p >>> 2, (p >>> 2) + 8),
    });
    const b = new SlabAlloc(space, { size: 1000 });
    const mine = Array.from({ length: 10 }, () => a.alloc());
    const before = space.buffer;
    const big = Array.from({ length: 3000 }, () => b.alloc());
    expect(big.every((p) => p !== 0)).toBe(true);
    expect(space.buffer).not.toBe(before);
    expect(before.byteLength).toBe(0); // detached
    for (const p of mine) a.dealloc(p);
    expect(a.alloc()).toBe(mine[mine.length - 1]);
    expect(space.u32[(mine[0] >>> 2) + 7]).toBe(0xc0ffee);
    const more = Array.from({ length: 500 }, () => a.alloc());
    expect(more.every((p) => space.u32[p >>> 2] === 0xc0ffee)).toBe(true);
    expect(a.check()).toEqual([]);
    expect(b.check()).toEqual([]);
  });
});

describe("odd layouts", () => {
  it("hands out distinct pointers for zero-sized objects", () => {
    const space = newSpace(1 << 22);
    const slab = new SlabAlloc(space, { size: 0 });
    const ptrs = Array.from({ length: 1000 }, () => slab.alloc());
    expect(new Set(ptrs).size).toBe(1000);
    for (const p of ptrs) slab.dealloc(p);
    expect(slab.check()).toEqual([]);
  });

  it("caps a slab at 32767 objects (the u16 free-stack entries), and uses them all", () => {
    const space = newSpace(1 << 23);
    const slab = new SlabAlloc(space, { size: 1, slabBytes: 1 << 20 });
    expect(slab.stats().objectsPerSlab).toBe(32_767);
    const ptrs = Array.from({ length: 32_767 }, () => slab.alloc());
    expect(new Set(ptrs).size).toBe(32_767);
    expect(slab.stats()).toMatchObject({ slabs: 1, fullSlabs: 1 });
    for (const p of ptrs.reverse()) slab.dealloc(p);
    expect(slab.alloc()).toBe(ptrs[ptrs.length - 1]);
    expect(slab.check()).toEqual([]);
  });

  it("keeps one object per slab working (full and empty at once)", () => {
    const space = newSpace(1 << 22);
    const slab = new SlabAlloc(space, { size: 3000, slabBytes: 4096, kind: "large", workingSetMs: 0 });
    expect(slab.stats().objectsPerSlab).toBe(1);
    const ptrs = Array.from({ length: 10 }, () => slab.alloc());
    expect(slab.stats()).toMatchObject({ fullSlabs: 10, slabs: 10 });
    for (const p of ptrs) slab.dealloc(p);
    expect(slab.stats().slabs).toBe(0);
    expect(slab.check()).toEqual([]);
  });
});

describe("the constructed-object contract under random use (after the Rust corruption tester)", () => {
  for (const workingSetMs of [0, 15_000]) {
    it(`hands out fresh or exactly-as-freed objects, and destroys each constructed one once (window ${workingSetMs})`, () => {
      const space = newSpace(1 << 24);
      const NEW = 0x0dd5eed;
      const constructed = new Set<number>();
      let justConstructed = 0;
      const slab = new SlabAlloc(space, {
        size: 24,
        align: 8,
        workingSetMs,
        init: (p) => {
          expect(constructed.has(p)).toBe(false);
          constructed.add(p);
          justConstructed = p;
          space.u32.fill(NEW, p >>> 2, (p >>> 2) + 6);
        },
        destroy: (p) => {
          expect(constructed.delete(p)).toBe(true);
          space.u32.fill(0, p >>> 2, (p >>> 2) + 6);
        },
      });
      const next = random(workingSetMs + 1);
      const freedAs = new Map<number, number>(); // ptr -> the mark it held when freed
      const live: number[] = [];
      let serial = 0;
      for (let step = 0; step < 40_000; step++) {
        if (live.length > 0 && next() < (live.length > 3000 ? 0.9 : 0.5)) {
          const p = live.splice(Math.floor(next() * live.length), 1)[0];
          const mark = ++serial;
          space.u32.fill(mark, p >>> 2, (p >>> 2) + 6);
          freedAs.set(p, mark);
          slab.dealloc(p);
        } else {
          justConstructed = 0;
          const p = slab.alloc();
          const words = space.u32.subarray(p >>> 2, (p >>> 2) + 6);
          // Freshly constructed now, or cached: then exactly as it was freed (never constructed twice).
          const expected = justConstructed === p ? NEW : freedAs.get(p);
          expect(expected).toBeDefined();
          expect(words.every((w) => w === expected)).toBe(true);
          live.push(p);
        }
      }
      const { constructorCalls, destructorCalls } = slab.stats();
      expect(constructorCalls - destructorCalls).toBe(constructed.size);
      if (workingSetMs === 0) expect(destructorCalls).toBeGreaterThan(0);
      for (const p of live) slab.dealloc(p);
      slab.dispose();
      expect(constructed.size).toBe(0);
      expect(slab.check()).toEqual([]);
    });
  }
});
