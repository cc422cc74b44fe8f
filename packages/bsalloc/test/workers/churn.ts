/**
 * A worker that allocates and frees blocks of every class (and some large ones) with content checks, either
 * for `rounds` rounds or, when `rounds` is 0, until the stop word of the control block is set. It counts its
 * rounds in the control block, so the test can see it progress. Posts its address-space lock holder id first,
 * its report last.
 */
import { parentPort, workerData } from "node:worker_threads";
import { BsAlloc, type BsAllocDescriptor } from "../../src/index.js";

interface Job {
  descriptor: BsAllocDescriptor;
  id: number;
  rounds: number;
  /** Control block: i32 word 0 is the stop flag, word 1 + id this worker's round count. */
  control: number;
}

const { descriptor, id, rounds, control } = workerData as Job;
const bs = BsAlloc.attach(descriptor);
// Mapping goes through the address space's lock: whoever terminates this worker recovers that lock with this id.
parentPort!.postMessage({ kind: "holder", holder: bs.space.holder });
let seed = (id + 1) * 0x9e3779b1;

function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function pickSize(): number {
  const r = random() % 100;
  if (r < 60) return 1 + (random() % 1024);
  if (r < 95) return 1024 + (random() % 16384);
  return 16384 + (random() % 100_000);
}

/** Fills the first and last 32 bytes (or all bytes of a short block) with the owner's mark. */
function mark(ptr: number, size: number, tag: number): void {
  const u8 = bs.memory.u8;
  for (let i = 0; i < Math.min(size, 32); i++) u8[ptr + i] = (tag + i) & 0xff;
  for (let i = Math.max(32, size - 32); i < size; i++) u8[ptr + i] = (tag + i) & 0xff;
}

function marked(ptr: number, size: number, tag: number): boolean {
  const u8 = bs.memory.u8;
  for (let i = 0; i < Math.min(size, 32); i++) if (u8[ptr + i] !== ((tag + i) & 0xff)) return false;
  for (let i = Math.max(32, size - 32); i < size; i++) if (u8[ptr + i] !== ((tag + i) & 0xff)) return false;
  return true;
}

const held: { ptr: number; size: number; tag: number }[] = [];
const i32 = () => bs.memory.i32;
let corrupt = 0;
let failed = 0;
let ops = 0;

function release(k: number): void {
  const block = held[k];
  if (!marked(block.ptr, block.size, block.tag)) corrupt++;
  bs.dealloc(block.ptr);
  held[k] = held[held.length - 1];
  held.pop();
}

for (let round = 0; rounds === 0 ? Atomics.load(i32(), control >>> 2) === 0 : round < rounds; round++) {
  const size = pickSize();
  const align = 2 ** (random() % 7);
  const ptr = bs.alloc(size, align);
  if (ptr === 0 || ptr % align !== 0) failed++;
  else {
    const tag = (id << 5) ^ round;
    mark(ptr, size, tag);
    held.push({ ptr, size, tag });
  }
  if (held.length > 24 || (held.length > 0 && random() % 3 === 0)) release(random() % held.length);
  ops++;
  Atomics.add(i32(), (control >>> 2) + 1 + id, 1);
}
while (held.length > 0) release(held.length - 1);
parentPort!.postMessage({ kind: "report", id, ops, corrupt, failed });
