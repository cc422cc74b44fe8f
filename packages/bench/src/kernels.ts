/**
 * Kernels by name: pool workers look kernels up here, since functions cannot be posted to a worker.
 *
 * Each contender, in each workload, gets its own instance of the kernel's module (a query string in the module
 * URL). Why: V8 keeps type feedback per function, so one kernel function called with every contender's heap
 * sees several heap classes at each call site and inlines none of them. A program using one allocator would not
 * pay that; with a module instance per contender, no contender slows another down. And per workload: the
 * kernel's closures are context-specialised by V8 (its parameters become constants) only while their function
 * has made one closure; a second workload of the same kernel made a second one, and ran without it (the
 * random-replace kernel at half speed for every contender: `rng.below(live)` became a floating-point modulus).
 *
 * @module
 */
import type { Kernel } from "./kernel.js";

/** The kernel files, each exporting `<camelCaseName>Kernel`. */
const NAMES = ["cache", "larson", "mstress", "producer-consumer", "random-replace", "shbench", "threadtest"];

/** Loads kernel `name` in the module instance of `contender` in the workload `workload`. */
export async function loadKernel(name: string, contender: string, workload: string): Promise<Kernel> {
  if (!NAMES.includes(name)) throw new RangeError(`unknown kernel ${JSON.stringify(name)}`);
  const query = `contender=${encodeURIComponent(contender)}&workload=${encodeURIComponent(workload)}`;
  const url = new URL(`./workloads/${name}.js?${query}`, import.meta.url);
  const module = (await import(url.href)) as Record<string, Kernel>;
  return module[`${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Kernel`];
}
