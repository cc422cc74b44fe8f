import { readFileSync } from "node:fs";
import { type CMalloc, giveStack, wasmImports } from "../../src/index.js";

/** The committed build of c/driver.c. */
export const DRIVER_WASM = new URL("../../c/driver.wasm", import.meta.url);

/** Where the JS heap starts: the module's data and stack (linked with --stack-first) stay below it. */
export const HEAP_START = 65536;

/** The wasm page count of the memories the driver runs on: 32 MiB, within the module's declared maximum. */
export const PAGES = 512;

/** A memory the driver module can import: shared, as it was linked with --shared-memory. */
export function driverMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
}

/**
 * Instantiates the driver over `memory` with `api` as its malloc, gives the instance its own stack, runs
 * `run(seed, rounds)` and returns the failing source line of c/driver.c (0: every check passed).
 */
export function runDriver(
  api: CMalloc,
  memory: WebAssembly.Memory,
  seed: number,
  rounds: number,
  wasm: BufferSource = readFileSync(DRIVER_WASM),
): number {
  const module = new WebAssembly.Module(wasm);
  const instance = new WebAssembly.Instance(module, { env: { ...wasmImports(api, memory) } });
  const heapBase = (instance.exports.__heap_base as WebAssembly.Global).value as number;
  if (heapBase > HEAP_START)
    throw new Error(`the driver's data and stack end at ${heapBase}, above ${HEAP_START}`);
  const stack = giveStack(instance, api, 64 * 1024);
  if (stack === 0) throw new Error("no memory for the driver's stack");
  const failedLine = (instance.exports.run as (seed: number, rounds: number) => number)(seed, rounds);
  api.free(stack);
  return failedLine;
}
