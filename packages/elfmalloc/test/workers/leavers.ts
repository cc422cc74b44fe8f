/**
 * A worker that, round after round, attaches, frees the medium blocks the previous worker left in the mailbox,
 * leaves blocks of its own there for the next one, and detaches. So the chunks of a thread that is leaving are
 * freed into by another thread at that very moment: orphaning and adoption race on every round.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ElfMalloc, type ElfMallocDescriptor } from "../../src/index.js";
import { fillBlock, verifyBlock } from "../pattern.js";

const {
  heap: descriptor,
  mailbox,
  ready,
  index,
  workers,
  rounds,
  slots,
} = workerData as {
  heap: ElfMallocDescriptor;
  mailbox: SharedArrayBuffer;
  /** A counter of the workers started: all begin together, so that their rounds overlap. */
  ready: SharedArrayBuffer;
  index: number;
  workers: number;
  rounds: number;
  slots: number;
};
const mail = new Int32Array(mailbox);
const mine = index * slots;
const theirs = ((index + workers - 1) % workers) * slots;
let seed = index * 7919 + 1;
const random = (n: number) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
let errors = 0;
let freed = 0;
const started = new Int32Array(ready);
Atomics.add(started, 0, 1);
while (Atomics.load(started, 0) < workers);
for (let round = 0; round < rounds; round++) {
  const heap = ElfMalloc.attach(descriptor);
  for (let k = 0; k < slots; k++) {
    const ptr = Atomics.exchange(mail, theirs + k, 0);
    if (ptr !== 0) {
      if (!verifyBlock(heap, ptr)) errors++;
      heap.free(ptr);
      freed++;
    }
    if (Atomics.load(mail, mine + k) === 0) {
      const size = 257 + random(4000);
      const block = heap.malloc(size);
      fillBlock(heap, block, size);
      Atomics.store(mail, mine + k, block);
    }
  }
  heap.detach();
}
parentPort!.postMessage({ errors, freed });
