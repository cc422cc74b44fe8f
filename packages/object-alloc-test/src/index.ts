/**
 * @allocators/object-alloc-test: checks any JavaScript allocator for corruption and C-like correctness, with
 * seeded random runs, property-based runs that shrink failures, and a report card. Works in Node and browsers;
 * the `workers` check and the CLI need Node (`@allocators/object-alloc-test/node`).
 *
 * @packageDocumentation
 */
export {
  type Adapter,
  type AdapterLimits,
  type AllocAdapter,
  adaptersOf,
  allocAdapter,
  isShareable,
  type ObjectAdapter,
  type UntypedAdapter,
} from "./adapter.js";
export { BAD_SIZES } from "./checks.js";
export { HEADER_SIZE, NONCE, type ObjectState, objectHash, restamp, stamp, stateOf } from "./corruption.js";
export type { TestObject } from "./objects.js";
export { Rng, randomSeed } from "./random.js";
export {
  CHECKS,
  type CheckName,
  type CheckResult,
  type Failure,
  formatReport,
  makeReport,
  type Report,
  resultOf,
} from "./report.js";
export {
  type CheckOptions,
  checkAdapter,
  checkAlloc,
  checkObjectAlloc,
  checkUntypedObjectAlloc,
} from "./run.js";
export { DEFAULT_MIX, MATRIX_SIZES, type Mix, opsArbitrary, randomOps, shrinkOps } from "./sequences.js";
export {
  type Block,
  type Op,
  type RunResult,
  runOps,
  Session,
  type Target,
  Violation,
  type ViolationKind,
} from "./session.js";
export {
  type PortLike,
  runWorkerTask,
  type WorkerHost,
  type WorkerOutcome,
  type WorkerTask,
} from "./workers.js";
