import type { Worker } from "node:worker_threads";
import { AddressSpace } from "@allocators/mmap-alloc";
import { startWorker } from "@allocators/test-kit";
import { describe, expect, it } from "vitest";
import { struct } from "../src/index.js";

const OWNER = new URL("./workers/owner.ts", import.meta.url);

function next<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

describe("slab allocators of several workers in one shared address space", () => {
  it("keep their objects apart, and their structs are readable from another worker", async () => {
    const space = AddressSpace.create({ maxBytes: 64 << 20, initialBytes: 1 << 16 });
    const workers = [1, 2, 3].map((id) =>
      startWorker(OWNER, { workerData: { descriptor: space.share(), id } }),
    );
    try {
      const first = await Promise.all(
        workers.map((w) => next<{ ptrs: number[]; errors: number; problems: string[] }>(w)),
      );
      const item = struct({ id: "u32", value: "f64" }).bind(space);
      const all = new Set<number>();
      first.forEach((r, k) => {
        expect(r.errors).toBe(0);
        expect(r.problems).toEqual([]);
        r.ptrs.forEach((p, i) => {
          expect(item.id.get(p)).toBe(k + 1);
          expect(item.value.get(p)).toBe((k + 1) * 1e6 + i);
          all.add(p);
        });
      });
      expect(all.size).toBe(3000);
      for (const w of workers) w.postMessage("free");
      const second = await Promise.all(workers.map((w) => next<{ problems: string[]; slabs: number }>(w)));
      for (const r of second) expect(r).toEqual({ problems: [], slabs: 0 });
      expect(space.check()).toEqual([]);
      expect(space.stats().mappedBytes).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
