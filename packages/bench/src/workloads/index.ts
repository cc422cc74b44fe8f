/** Every workload of `pnpm bench`, in the order they run. */
import type { Workload } from "../harness.js";
import { arenaScopes } from "./arena.js";
import { corruptionTester } from "./object-alloc-test.js";

export const workloads: Workload[] = [arenaScopes, corruptionTester];
