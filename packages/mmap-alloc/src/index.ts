/**
 * @allocators/mmap-alloc: the address space every allocator of the suite gets its pages from, over a growable
 * SharedArrayBuffer, resizable ArrayBuffer or WebAssembly.Memory shared by workers, MapAlloc, which maps
 * each allocation, and RunCache, which keeps a malloc's freed large runs for reuse.
 *
 * @packageDocumentation
 */
export { AddressSpace } from "./address-space.js";
export type { AddressSpaceDescriptor, Backing } from "./backing.js";
export type { AddressSpaceOptions } from "./header.js";
export { MapAlloc, type MapAllocOptions } from "./map-alloc.js";
export type { AddressSpaceStats } from "./page-runs.js";
export { RunCache } from "./run-cache.js";
