import { describe, expect, it } from "vitest";
import { PageTree, treeWords } from "../src/page-tree.js";

/** The leftmost run of `want` zeros in `used`, by brute force. */
function firstFit(used: Uint8Array, want: number): number {
  for (let start = 0, run = 0; start + run < used.length; ) {
    if (used[start + run]) {
      start += run + 1;
      run = 0;
    } else if (++run === want) {
      return start;
    }
  }
  return -1;
}

describe("PageTree", () => {
  it("agrees with a brute-force page map over random range updates", () => {
    const leaves = 512;
    const m = new Int32Array(treeWords(leaves) + 8);
    const tree = new PageTree(8, leaves);
    const model = new Uint8Array(leaves);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 1500; step++) {
      const start = random(leaves);
      const count = 1 + random(random(4) === 0 ? leaves - start : Math.min(8, leaves - start));
      const used = random(2) === 0;
      tree.assign(m, start, count, used, random(10) === 0);
      model.fill(used ? 1 : 0, start, start + count);
      const out = new Uint8Array(leaves);
      const problems: string[] = [];
      tree.collect(m, out, problems);
      expect(problems).toEqual([]);
      expect(out.every((u, page) => u === model[page])).toBe(true);
      const want = 1 + random(16);
      expect(tree.findFirst(m, want)).toBe(firstFit(model, want));
      expect(tree.isFree(m, start, count)).toBe(!used);
      expect(tree.isUsed(m, start, count)).toBe(used);
    }
  });
});
