import { describe, expect, it } from "vitest";
import { GRANULE } from "../src/page-map.js";
import { SIZE_CLASSES } from "../src/size-classes.js";
import { keptBase, keptClass, keptEntry } from "../src/thread-cache.js";

describe("kept-slab entries", () => {
  it("give back the slab and its class, for slabs below and above 2 GiB", () => {
    const c = SIZE_CLASSES[5];
    for (const base of [GRANULE, 2 ** 31 - GRANULE, 2 ** 31, 2 ** 32 - GRANULE]) {
      // An entry as the record's Uint32Array stores it and reads it back.
      const entry = new Uint32Array([keptEntry(base, c.index)])[0];
      expect(keptBase(entry)).toBe(base);
      expect(keptClass(entry)).toBe(c);
    }
  });
});
