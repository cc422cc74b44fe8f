/**
 * One worker of the demo: attaches to the shared heap and churns it in bursts, mallocs and frees of varied
 * sizes, handing some blocks to the other workers through a shared mailbox so that they free blocks they did
 * not allocate. Between bursts it sleeps briefly (a worker may block; the page may not), so the machine stays
 * usable and the page sees the heap breathe: the number of blocks each worker keeps follows a slow wave.
 *
 * Shared counters (Int32Array, one row of {@link COUNTER_FIELDS} per worker): ops done, blocks kept, blocks
 * freed that another worker allocated, failed mallocs. Word 0 of the control array set to 1 asks every
 * worker to free what it keeps, detach and answer "stopped".
 */
import { ElfMalloc, type ElfMallocDescriptor } from "@allocators/elfmalloc";
import { COUNTER_FIELDS, CROSS_FREES, FAILED, KEPT, OPS, type WorkerJob } from "./protocol.js";

const BURST = 400;
const PAUSE_MS = 12;

self.onmessage = (event: MessageEvent<WorkerJob>) => {
  const job = event.data;
  const heap = ElfMalloc.attach(job.heap as ElfMallocDescriptor);
  const counters = new Int32Array(job.counters);
  const control = new Int32Array(job.control);
  const mailbox = new Int32Array(job.mailbox);
  const row = job.index * COUNTER_FIELDS;
  const kept: number[] = [];
  let state = job.seed >>> 0 || 1;
  const random = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  // Mostly small blocks, some medium ones, a few large ones: every kind of slab, and large blocks, show up.
  const size = () => {
    const pick = random(100);
    if (pick < 70) return 8 + random(248);
    if (pick < 95) return 256 + random(4096);
    if (pick < 99) return 4096 + random(28_000);
    return 140_000 + random(200_000);
  };
  let tick = 0;
  while (Atomics.load(control, 0) === 0) {
    // The wave: each worker keeps between 100 and 1900 blocks, out of phase with the others.
    const target = 1000 + 900 * Math.sin(tick++ / 40 + job.index * 1.7);
    for (let op = 0; op < BURST; op++) {
      if (kept.length < target && random(10) < 6) {
        const ptr = heap.malloc(size());
        if (ptr === 0) Atomics.add(counters, row + FAILED, 1);
        else kept.push(ptr);
      } else if (kept.length > 0) {
        const ptr = kept.splice(random(kept.length), 1)[0];
        // One block in eight goes to the mailbox for another worker to free; a full slot means free it here.
        const slot = random(mailbox.length);
        if (random(8) !== 0 || Atomics.compareExchange(mailbox, slot, 0, ptr) !== 0) heap.free(ptr);
      }
      const other = Atomics.exchange(mailbox, random(mailbox.length), 0) >>> 0;
      if (other !== 0) {
        heap.free(other);
        Atomics.add(counters, row + CROSS_FREES, 1);
      }
    }
    Atomics.add(counters, row + OPS, BURST);
    Atomics.store(counters, row + KEPT, kept.length);
    Atomics.wait(control, 1, 0, PAUSE_MS);
  }
  for (const ptr of kept) heap.free(ptr);
  Atomics.store(counters, row + KEPT, 0);
  heap.detach();
  self.postMessage("stopped");
};
