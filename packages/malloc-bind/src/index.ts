/**
 * @allocators/malloc-bind: the C malloc family with C semantics and errno over any allocator of allocators-ts,
 * and as the `env` imports of a WebAssembly module.
 *
 * @packageDocumentation
 */
export type { LayoutFinder, RawAlloc } from "./layout-finder.js";
export { bindMalloc, CMalloc, type MallocOptions } from "./malloc.js";
export {
  type ErrnoCodes,
  type OddAlignment,
  PLATFORMS,
  type Platform,
  type PlatformRules,
  POSIX_ERRNO,
  type ReallocZero,
  WASI_ERRNO,
} from "./platform.js";
export { giveStack, type MallocImports, wasmImports } from "./wasm.js";
