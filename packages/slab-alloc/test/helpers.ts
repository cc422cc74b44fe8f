import { AddressSpace, type Backing } from "@allocators/mmap-alloc";

/** A fresh address space of 4 KiB pages (a resizable ArrayBuffer unless `backing` says otherwise). */
export function newSpace(maxBytes: number, backing: Backing = "local"): AddressSpace {
  return AddressSpace.create({ maxBytes, backing });
}

/** Bytes mapped in `space`. */
export function mappedBytes(space: AddressSpace): number {
  return space.stats().mappedBytes;
}

/** The object sizes of the Rust crate's tests: powers of two, midpoints and a prime between, 1 to 8192 B. */
export const RUST_SIZES = [
  1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 19, 24, 29, 32, 41, 48, 59, 64, 73, 96, 113, 128, 157, 192, 229,
  256, 317, 384, 457, 512, 617, 768, 1024, 1277, 1536, 1777, 2048, 2557, 3072, 3539, 4096, 5119, 6144, 7151,
  8192,
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
