export { driverMemory, HEAP_START, PAGES, runCompiledDriver } from "./driver-core.js";

/** Fetches and compiles the committed build of c/driver.c in the browser (vite serves it as an asset). */
export async function compileDriver(): Promise<WebAssembly.Module> {
  const response = await fetch(new URL("../../c/driver.wasm", import.meta.url));
  if (!response.ok) throw new Error(`driver.wasm: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}
