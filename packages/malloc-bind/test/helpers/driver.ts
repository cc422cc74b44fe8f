import { readFileSync } from "node:fs";
import type { CMalloc } from "../../src/index.js";
import { runCompiledDriver } from "./driver-core.js";

export { driverMemory, HEAP_START, PAGES } from "./driver-core.js";

/** The committed build of c/driver.c. */
export const DRIVER_WASM = new URL("../../c/driver.wasm", import.meta.url);

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
  return runCompiledDriver(new WebAssembly.Module(wasm), api, memory, seed, rounds);
}
