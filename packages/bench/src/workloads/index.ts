/** Every workload of `pnpm bench`, in the order they run. */
import type { Workload } from "../harness.js";
import { arenaScopes } from "./arena.js";
import { mmapLiveRuns, mmapPairs } from "./mmap-alloc.js";
import { poolChurn, poolChurnPlain, slabPairs } from "./slab-alloc.js";

export const workloads: Workload[] = [
  arenaScopes,
  mmapPairs,
  mmapLiveRuns,
  slabPairs,
  poolChurn,
  poolChurnPlain,
];
