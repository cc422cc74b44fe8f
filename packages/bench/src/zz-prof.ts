import { AddressSpace } from "../../mmap-alloc/src/index.ts";
const t = AddressSpace.create({ maxBytes: 256 << 20 });
for (const pages of [1, 2, 1, 2]) {
for (let r = 0; r < 3; r++) {
  let start = performance.now();
  const N = 3e5;
  for (let i = 0; i < N; i++) { const p = t.map(4096 * pages); t.unmap(p, 4096 * pages); }
  if (r === 2) console.log(pages, "pairs/s", (N / ((performance.now() - start) / 1000) / 1e6).toFixed(2), "M");
}
}
