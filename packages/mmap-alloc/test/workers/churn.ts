/**
 * A worker that maps, fills, checks and unmaps runs of an address space. workerData: { descriptor, control,
 * id, rounds } where control is an Int32Array on a SharedArrayBuffer: control[0] = 1 asks it to stop, and
 * rounds = 0 means "until asked". It posts { holder } when attached, then detaches and posts { done, errors, maps }
 * at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AddressSpace, type AddressSpaceDescriptor } from "../../src/index.js";

interface Data {
  descriptor: AddressSpaceDescriptor;
  control: Int32Array;
  id: number;
  rounds: number;
}
const { descriptor, control, id, rounds } = workerData as Data;
const space = AddressSpace.attach(descriptor);
parentPort!.postMessage({ holder: space.holder });

const LIVE = 24;
const live: { ptr: number; bytes: number; stamp: number }[] = [];
let errors = 0;
let maps = 0;
let seed = id * 7919 + 1;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed >>> 8) % n;
};

/** Checks that every 16th word of [ptr, ptr + bytes) holds `stamp`. */
function holds(ptr: number, bytes: number, stamp: number): boolean {
  const u32 = space.u32;
  for (let w = ptr >>> 2, end = (ptr + bytes) >>> 2; w < end; w += 16) if (u32[w] !== stamp) return false;
  return u32[((ptr + bytes) >>> 2) - 1] === stamp;
}

function release(index: number): void {
  const run = live[index];
  live[index] = live[live.length - 1];
  live.pop();
  if (!holds(run.ptr, run.bytes, run.stamp)) errors++;
  const pages = run.bytes / space.pageSize;
  if (pages > 1 && random(4) === 0) {
    // Unmap the head page first, then the rest: partial unmaps racing with the other workers.
    space.unmap(run.ptr, space.pageSize);
    space.unmap(run.ptr + space.pageSize, run.bytes - space.pageSize);
  } else {
    space.unmap(run.ptr, run.bytes);
  }
}

for (let round = 0; rounds === 0 || round < rounds; round++) {
  if (Atomics.load(control, 0) === 1) break;
  if (live.length >= LIVE || (live.length > LIVE / 3 && random(2) === 0)) {
    release(random(live.length));
    continue;
  }
  const bytes = (1 + random(16)) * space.pageSize;
  const align = random(8) === 0 ? space.pageSize << (1 + random(4)) : space.pageSize;
  const ptr = space.map(bytes, align);
  if (ptr === 0) continue;
  maps++;
  if (ptr % align !== 0 || !holds(ptr, bytes, 0)) errors++;
  const stamp = (id << 24) | (round & 0xffffff);
  space.u32.fill(stamp, ptr >>> 2, (ptr + bytes) >>> 2);
  live.push({ ptr, bytes, stamp });
}
while (live.length > 0) release(live.length - 1);
space.detach(); // gives its page cache back
parentPort!.postMessage({ done: true, errors, maps });
