/**
 * AssemblyScript's memory manager (TLSF) compiled to wasm from the installed `assemblyscript` package at bench
 * time, called from JavaScript: the single-threaded bar a TypeScript allocator has to clear. The module is
 * compiled once per asc version and cached under `node_modules/.cache/allocators-bench/`.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { checkBytes, type HeapAdapter, pokeBytes } from "./adapter.js";

/** heap.alloc / heap.free of the AS runtime; `--runtime minimal` is TLSF without the incremental GC. */
const SOURCE = `
export function alloc(size: usize): usize { return heap.alloc(size); }
export function free(ptr: usize): void { heap.free(ptr); }
`;

interface TlsfExports {
  alloc(size: number): number;
  free(ptr: number): void;
  memory: WebAssembly.Memory;
}

/** Compiles (or reads from the cache) the TLSF module. */
export async function compileTlsf(): Promise<WebAssembly.Module> {
  const require = createRequire(import.meta.url);
  const { version } = require("assemblyscript/package.json") as { version: string };
  const dir = new URL("../../node_modules/.cache/allocators-bench/", import.meta.url);
  const file = new URL(`tlsf-asc-${version}.wasm`, dir);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return WebAssembly.compile(new Uint8Array(cached));
  const asc = (await import("assemblyscript/asc")).default;
  const { binary, error, stderr } = await asc.compileString(SOURCE, {
    optimizeLevel: 3,
    runtime: "minimal",
    noAssert: true,
  });
  if (error || !binary) throw new Error(`asc failed: ${error?.message}\n${stderr}`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, binary);
  return WebAssembly.compile(new Uint8Array(binary));
}

export class TlsfHeap implements HeapAdapter {
  readonly #wasm: TlsfExports;
  #u8: Uint8Array;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, { env: { abort: () => {} } });
    this.#wasm = instance.exports as unknown as TlsfExports;
    this.#u8 = new Uint8Array(this.#wasm.memory.buffer);
  }

  malloc(size: number): number {
    return this.#wasm.alloc(size);
  }

  free(ptr: number): void {
    this.#wasm.free(ptr);
  }

  /** The bytes, re-read after `memory.grow` detached the old buffer. */
  #bytes(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#u8 = new Uint8Array(this.#wasm.memory.buffer);
    return this.#u8;
  }

  fill(ptr: number, size: number, value: number): void {
    this.#bytes().fill(value, ptr, ptr + size);
  }

  poke(ptr: number, size: number, value: number): void {
    pokeBytes(this.#bytes(), ptr, size, value);
  }

  check(ptr: number, size: number, value: number): boolean {
    return checkBytes(this.#bytes(), ptr, size, value);
  }

  view(ptr: number, size: number): Uint8Array {
    return this.#bytes().subarray(ptr, ptr + size);
  }

  peek(ptr: number): number {
    return this.#bytes()[ptr];
  }

  /** The wasm memory's size: TLSF grows it and never shrinks it. */
  committedBytes(): number {
    return this.#wasm.memory.buffer.byteLength;
  }

  dispose(): void {}
}
