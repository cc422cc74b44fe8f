// The entry of every test worker: registers the tsx loader in this worker, then imports the TypeScript module
// named by argv[2]. Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's own entry.
import { argv } from "node:process";
import { register } from "tsx/esm/api";

register();
await import(argv[2]);
