import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArenaAlloc, MemoryViews, TracingAlloc } from "@allocators/object-alloc";
import { expect, it } from "vitest";
import { bindMalloc } from "../src/index.js";
import { DRIVER_WASM, driverMemory, HEAP_START, PAGES, runDriver } from "./helpers/driver.js";

const SOURCE = new URL("../c/driver.c", import.meta.url);
const BUILD = new URL("../c/build.sh", import.meta.url);

/** The functions driver.c declares with IMPORT(name). */
function declaredImports(): string[] {
  return [...readFileSync(SOURCE, "utf8").matchAll(/^IMPORT\((\w+)\)/gm)].map((m) => m[1]).sort();
}

/** The compiler the committed driver.wasm was built with (c/build.sh): the same one must give the same bytes. */
const BUILT_WITH = "Debian clang version 14.0.6";

/** `clang --version`'s first line, or undefined when there is no clang. */
function clangVersion(): string | undefined {
  const found = spawnSync("sh", ["-c", "(clang --version || clang-14 --version) 2>/dev/null | head -1"], {
    encoding: "utf8",
  });
  return found.stdout.trim() || undefined;
}

it("the committed driver.wasm is the build of driver.c (rebuilt, compared and run when clang is present)", () => {
  const committed = readFileSync(DRIVER_WASM);
  const module = new WebAssembly.Module(committed);
  const functions = WebAssembly.Module.imports(module).filter((i) => i.kind === "function");
  expect(functions.map((i) => `${i.module}.${i.name}`).sort()).toEqual(
    declaredImports().map((n) => `env.${n}`),
  );
  expect(WebAssembly.Module.imports(module).find((i) => i.kind === "memory")?.name).toBe("memory");
  expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(
    expect.arrayContaining(["run", "__stack_pointer", "__heap_base"]),
  );
  const version = clangVersion();
  if (version === undefined) return; // the interface check above is all that can be done without a compiler

  const dir = mkdtempSync(join(tmpdir(), "malloc-bind-"));
  try {
    const out = join(dir, "driver.wasm");
    const build = spawnSync("bash", [BUILD.pathname, out], { encoding: "utf8" });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    const rebuilt = readFileSync(out);
    const memory = driverMemory();
    const api = bindMalloc(
      new TracingAlloc(new ArenaAlloc(new MemoryViews(memory), HEAP_START, PAGES * 65536)),
    );
    expect(runDriver(api, memory, 99, 2, rebuilt)).toBe(0);
    // Reproducible: the same compiler gives the same bytes (another version only has to pass the driver).
    if (version.startsWith(BUILT_WITH)) expect(Buffer.compare(rebuilt, committed)).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
