import { MemoryViews } from "@allocators/object-alloc";
import type { PageSource } from "../src/index.js";

/**
 * A page source for tests that need no address space: first-fit over a page table on an ArrayBuffer, page 0
 * never handed out, every mapping zeroed, unmap checked.
 */
export class TestSpace extends MemoryViews implements PageSource {
  readonly used: Uint8Array;
  mappedPages = 0;
  constructor(
    readonly maxBytes: number,
    readonly pageSize = 4096,
  ) {
    super(new ArrayBuffer(maxBytes));
    this.used = new Uint8Array(maxBytes / pageSize);
    this.used[0] = 1;
  }
  map(bytes: number, align = this.pageSize): number {
    const pages = Math.ceil(bytes / this.pageSize);
    const step = Math.max(1, align / this.pageSize);
    for (let first = step; first + pages <= this.used.length; first += step) {
      if (this.used.subarray(first, first + pages).every((u) => u === 0)) {
        this.used.fill(1, first, first + pages);
        this.u8.fill(0, first * this.pageSize, (first + pages) * this.pageSize);
        this.mappedPages += pages;
        return first * this.pageSize;
      }
    }
    return 0;
  }
  unmap(ptr: number, bytes: number): void {
    const first = ptr / this.pageSize;
    const pages = Math.ceil(bytes / this.pageSize);
    if (!Number.isInteger(first) || this.used.subarray(first, first + pages).some((u) => u === 0)) {
      throw new Error(`unmap of pages not mapped: ${ptr}, ${bytes}`);
    }
    this.used.fill(0, first, first + pages);
    this.u8.fill(0xdd, ptr, ptr + pages * this.pageSize);
    this.mappedPages -= pages;
  }
}

/** The object sizes of the Rust crate's tests: powers of two, midpoints and a prime between, 1 to 8192 B. */
export const RUST_SIZES = [
  1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 19, 24, 29, 32, 41, 48, 59, 64, 73, 96, 113, 128, 157, 192, 229, 256,
  317, 384, 457, 512, 617, 768, 1024, 1277, 1536, 1777, 2048, 2557, 3072, 3539, 4096, 5119, 6144, 7151, 8192,
];

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
