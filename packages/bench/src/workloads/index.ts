/** Every workload of `pnpm bench`, in the order they run. */
import type { Workload } from "../harness.js";
import { arenaScopes } from "./arena.js";
import { bagpipePairs, bagpipeProducerConsumer } from "./bagpipe.js";
import { bsallocWorkloads } from "./bsalloc.js";
import { mallocBind } from "./malloc-bind.js";
import { mmapLiveRuns, mmapPairs } from "./mmap-alloc.js";
import { corruptionTester } from "./object-alloc-test.js";
import { poolChurn, poolChurnPlain, slabPairs } from "./slab-alloc.js";

export const workloads: Workload[] = [
  arenaScopes,
  mmapPairs,
  mmapLiveRuns,
  ...bsallocWorkloads,
  bagpipeProducerConsumer,
  bagpipePairs,
  mallocBind,
  corruptionTester,
  slabPairs,
  poolChurn,
  poolChurnPlain,
];
