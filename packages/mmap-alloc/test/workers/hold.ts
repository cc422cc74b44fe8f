/**
 * A worker that holds the address space's lock almost all the time (check() runs under it), so that
 * terminating it leaves the lock held by a dead worker. workerData: the descriptor. Posts { holder }.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AddressSpace, type AddressSpaceDescriptor } from "../../src/index.js";

const space = AddressSpace.attach(workerData as AddressSpaceDescriptor);
parentPort!.postMessage({ holder: space.holder });
for (;;) space.check();
