/**
 * The malloc family as the `env` imports of a WebAssembly module that runs over the binding's memory.
 *
 * @module
 */
import { NULL, type Ptr } from "@allocators/object-alloc";
import type { CMalloc } from "./malloc.js";

/**
 * The `env` functions a wasm32 module compiled from C, C++, Zig or Rust imports for its allocator:
 * `malloc`, `free`, `calloc`, `realloc`, `reallocarray`, `reallocf`, `posix_memalign`, `aligned_alloc`,
 * `memalign`, `valloc`, `pvalloc`, `malloc_usable_size`, `free_sized`, `free_aligned_sized` and
 * `__errno_location` (musl's and wasi-libc's name: C's `errno` is `*__errno_location()`).
 */
export interface MallocImports {
  malloc(size: number): Ptr;
  free(ptr: Ptr): void;
  calloc(count: number, size: number): Ptr;
  realloc(ptr: Ptr, size: number): Ptr;
  reallocarray(ptr: Ptr, count: number, size: number): Ptr;
  reallocf(ptr: Ptr, size: number): Ptr;
  posix_memalign(memptr: Ptr, align: number, size: number): number;
  aligned_alloc(align: number, size: number): Ptr;
  memalign(align: number, size: number): Ptr;
  valloc(size: number): Ptr;
  pvalloc(size: number): Ptr;
  malloc_usable_size(ptr: Ptr): number;
  free_sized(ptr: Ptr, size: number): void;
  free_aligned_sized(ptr: Ptr, align: number, size: number): void;
  __errno_location(): Ptr;
  /** The module's memory, when given to {@link wasmImports}. */
  memory?: WebAssembly.Memory;
}

/**
 * The imports a wasm32 module needs to use `api` as its malloc: spread them into its `env`.
 *
 * wasm32's `size_t` and pointers arrive as i32, so every argument is read as unsigned (`>>> 0`): a size of
 * 2^31 or more is a large size (ENOMEM), never a negative one. Results go back as numbers below 2^32, which
 * wasm converts to the same i32 bits. errno lives at {@link CMalloc.errnoLocation}, allocated on first use.
 * `memory` (the `WebAssembly.Memory` under `api`) is added as `env.memory` for modules that import it.
 *
 * @example
 * ```ts
 * const memory = new WebAssembly.Memory({ initial: 256, maximum: 256 });
 * const c = bindMalloc(new ArenaAlloc(new MemoryViews(memory), 65536, 256 * 65536));
 * const { instance } = await WebAssembly.instantiate(bytes, { env: wasmImports(c, memory) });
 * ```
 */
export function wasmImports(api: CMalloc, memory?: WebAssembly.Memory): MallocImports {
  const imports: MallocImports = {
    malloc: (size) => api.malloc(size >>> 0),
    free: (ptr) => api.free(ptr >>> 0),
    calloc: (count, size) => api.calloc(count >>> 0, size >>> 0),
    realloc: (ptr, size) => api.realloc(ptr >>> 0, size >>> 0),
    reallocarray: (ptr, count, size) => api.reallocarray(ptr >>> 0, count >>> 0, size >>> 0),
    reallocf: (ptr, size) => api.reallocf(ptr >>> 0, size >>> 0),
    posix_memalign: (memptr, align, size) => api.posix_memalign(memptr >>> 0, align >>> 0, size >>> 0),
    aligned_alloc: (align, size) => api.aligned_alloc(align >>> 0, size >>> 0),
    memalign: (align, size) => api.memalign(align >>> 0, size >>> 0),
    valloc: (size) => api.valloc(size >>> 0),
    pvalloc: (size) => api.pvalloc(size >>> 0),
    malloc_usable_size: (ptr) => api.malloc_usable_size(ptr >>> 0),
    free_sized: (ptr, size) => api.free_sized(ptr >>> 0, size >>> 0),
    free_aligned_sized: (ptr, align, size) => api.free_aligned_sized(ptr >>> 0, align >>> 0, size >>> 0),
    __errno_location: api.errnoLocation,
  };
  if (memory) imports.memory = memory;
  return imports;
}

/**
 * Gives one instance of a module built with a shared memory its own stack: several instances (one per worker)
 * share the memory and so the stack region the linker laid out, which only one of them may use. Allocates
 * `size` bytes (16-aligned) with `api` and points the instance's exported `__stack_pointer` global at their
 * top (the stack grows down). Returns the stack's base, to `free` when the instance is done, or 0 when out of
 * memory. The module must export `__stack_pointer` (link with `--export=__stack_pointer`, mutable globals).
 */
export function giveStack(instance: WebAssembly.Instance, api: CMalloc, size: number): Ptr {
  const stackPointer = instance.exports.__stack_pointer;
  if (!(stackPointer instanceof WebAssembly.Global)) {
    throw new TypeError("the module must export its __stack_pointer global (--export=__stack_pointer)");
  }
  const base = api.memalign(16, size);
  if (base !== NULL) stackPointer.value = base + size - (size % 16);
  return base;
}
