/** Every workload of `pnpm bench`, in the order they run. */
import type { Workload } from "../harness.js";
import { arenaScopes } from "./arena.js";
import { bagpipePairs, bagpipeProducerConsumer } from "./bagpipe.js";
import { mallocBind } from "./malloc-bind.js";

export const workloads: Workload[] = [arenaScopes, mallocBind, bagpipeProducerConsumer, bagpipePairs];
