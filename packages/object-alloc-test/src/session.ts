/**
 * A test session: runs a sequence of operations on an allocator, owns every block it gets as a corruption
 * tester object, and stops at the first broken promise with a {@link Violation} that names it.
 *
 * @module
 */
import type { Memory } from "@allocators/object-alloc";
import { HEADER_SIZE, looksLive, NONCE, restamp, stamp, stateOf } from "./corruption.js";
import { Rng } from "./random.js";

/** One step of a test. `index` picks a live block modulo the number of live blocks (nothing live: no-op). */
export type Op =
  | { op: "alloc"; size: number; align: number; zeroed?: boolean }
  | { op: "free"; index: number }
  | { op: "realloc"; index: number; size: number }
  | { op: "verify" };

/** What an allocator can break. Each violation a session finds has one of these kinds. */
export type ViolationKind =
  | "double-hand-out"
  | "overlap"
  | "out-of-bounds"
  | "misaligned"
  | "corrupted"
  | "not-zeroed"
  | "usable-size"
  | "realloc-lost-contents"
  | "failed-realloc-damaged-block"
  | "accepted-bad-size"
  | "leak"
  | "out-of-memory"
  | "object-cache"
  | "threw";

/** A broken promise, with the operation log that led to it. */
export class Violation extends Error {
  constructor(
    readonly kind: ViolationKind,
    message: string,
    /** The operations run, rendered, the last one being the one that failed. */
    readonly log: string[] = [],
  ) {
    super(message);
    this.name = "Violation";
  }
}

/** What a session needs of an allocator; every {@link Alloc} is one. */
export interface Target {
  readonly memory: Memory;
  alloc(size: number, align?: number): number;
  allocZeroed?(size: number, align?: number): number;
  dealloc(ptr: number, size?: number, align?: number): void;
  realloc?(ptr: number, newSize: number, align?: number): number;
  usableSize?(ptr: number): number;
}

/** A live block of a session. `copy` holds the bytes of blocks too small for a header. */
export interface Block {
  name: string;
  ptr: number;
  size: number;
  align: number;
  copy?: Uint8Array;
}

/** Renders an operation the way reports show it. */
export function renderAlloc(size: number, align: number, zeroed = false): string {
  return `${zeroed ? "allocZeroed" : "alloc"}(${size},${align})`;
}

/**
 * Runs operations on one allocator, keeping the live blocks sorted by address to find overlaps, and a log of
 * what it did. Every method throws a {@link Violation} when the allocator breaks a promise.
 */
export class Session {
  readonly log: string[] = [];
  /** Live blocks in allocation order (what `index` of an {@link Op} picks from). */
  readonly live: Block[] = [];
  /** The same blocks sorted by address. */
  readonly #byAddress: Block[] = [];
  readonly #rng: Rng;
  #names = 0;
  /** Successful allocations and failed ones (null), for reports. */
  allocs = 0;
  nulls = 0;

  constructor(
    readonly target: Target,
    seed = 1,
    /** Keep only the last `keep` log lines (long random runs). */
    readonly keep = Number.POSITIVE_INFINITY,
  ) {
    this.#rng = new Rng(seed);
  }

  /** Runs one operation. */
  run(op: Op): void {
    switch (op.op) {
      case "alloc":
        this.alloc(op.size, op.align, op.zeroed);
        return;
      case "free":
        if (this.live.length > 0) this.free(this.live[op.index % this.live.length]);
        return;
      case "realloc":
        if (this.live.length > 0) this.realloc(this.live[op.index % this.live.length], op.size);
        return;
      case "verify":
        this.verifyAll();
    }
  }

  /** Allocates and takes ownership of a block; returns it, or undefined when the allocator returned null. */
  alloc(size: number, align: number, zeroed = false): Block | undefined {
    const call = renderAlloc(size, align, zeroed);
    const ptr = this.#call(call, () =>
      zeroed && this.target.allocZeroed
        ? this.target.allocZeroed(size, align)
        : this.target.alloc(size, align),
    );
    if (!ptr) {
      this.nulls++;
      this.#note(`${call}->null`);
      return undefined;
    }
    this.allocs++;
    const block: Block = { name: `p${this.#names++}`, ptr, size, align };
    this.#note(`${call}->${block.name}`);
    this.#checkPlace(block, call);
    if (zeroed) this.#checkZero(block);
    this.#checkUsable(block);
    this.#own(block);
    return block;
  }

  /** Verifies the block is intact, marks it dropped and frees it. */
  free(block: Block): void {
    this.#note(`free(${block.name})`);
    this.#verify(block, `free(${block.name})`);
    if (block.size >= HEADER_SIZE) restamp(this.target.memory, block.ptr, block.size, NONCE.DROPPED);
    this.#forget(block);
    this.#call(`free(${block.name})`, () => this.target.dealloc(block.ptr, block.size, block.align));
  }

  /** Verifies the block and gives up its ownership without freeing it (another owner will). */
  release(block: Block): Block {
    this.#note(`send(${block.name})`);
    this.#verify(block, `send(${block.name})`);
    this.#forget(block);
    return block;
  }

  /**
   * Reallocates the block and checks its bytes survived. The old header is marked dropped first, so that a stale
   * copy left behind by a move never reads as live.
   */
  realloc(block: Block, size: number): Block | undefined {
    const call = `realloc(${block.name},${size})`;
    this.#verify(block, call);
    const memory = this.target.memory;
    if (block.size >= HEADER_SIZE) restamp(memory, block.ptr, block.size, NONCE.DROPPED);
    const before = memory.u8.slice(block.ptr, block.ptr + block.size);
    const ptr = this.#call(call, () => this.target.realloc!(block.ptr, size, block.align));
    if (!ptr) {
      this.nulls++;
      this.#note(`${call}->null`);
      if (!sameBytes(memory.u8, block.ptr, before, block.size)) {
        throw this.#violation("failed-realloc-damaged-block", `${call} failed but changed ${block.name}`);
      }
      if (block.size >= HEADER_SIZE) restamp(memory, block.ptr, block.size, NONCE.VALID);
      return undefined;
    }
    this.#forget(block);
    const moved: Block = {
      name: ptr === block.ptr ? block.name : `p${this.#names++}`,
      ptr,
      size,
      align: block.align,
    };
    this.#note(`${call}->${moved.name}`);
    this.#checkPlace(moved, call);
    const kept = Math.min(block.size, size);
    if (!sameBytes(memory.u8, ptr, before, kept)) {
      throw this.#violation(
        "realloc-lost-contents",
        `${call}->${moved.name} did not keep the first ${kept} bytes`,
      );
    }
    this.#checkUsable(moved);
    this.#own(moved);
    return moved;
  }

  /**
   * Grows the block to all of its usable size (the contract says all of it may be used), and stamps it whole,
   * so that the allocator's metadata past the requested size is caught.
   */
  claimUsable(block: Block): void {
    const usable = this.target.usableSize!(block.ptr);
    this.#note(`use all ${usable} B of ${block.name}`);
    this.#verify(block, `usableSize(${block.name})`);
    if (block.size >= HEADER_SIZE) restamp(this.target.memory, block.ptr, block.size, NONCE.DROPPED);
    this.#forget(block);
    const whole = { ...block, size: usable, copy: undefined };
    this.#checkPlace(whole, `usableSize(${block.name})`);
    this.#own(whole);
  }

  /** Verifies every live block. */
  verifyAll(): void {
    this.#note("verify()");
    for (const block of this.live) this.#verify(block, "verify()");
  }

  /** Frees every live block (verifying each). */
  freeAll(): void {
    while (this.live.length > 0) this.free(this.live[this.live.length - 1]);
  }

  #own(block: Block): void {
    const memory = this.target.memory;
    if (block.size < HEADER_SIZE) {
      stamp(memory, block.ptr, block.size, 0, this.#rng);
      block.copy = memory.u8.slice(block.ptr, block.ptr + block.size);
    } else {
      stamp(memory, block.ptr, block.size, NONCE.VALID, this.#rng);
    }
    this.live.push(block);
    this.#byAddress.splice(this.#insertionPoint(block.ptr), 0, block);
  }

  #forget(block: Block): void {
    this.live.splice(this.live.indexOf(block), 1);
    this.#byAddress.splice(this.#byAddress.indexOf(block), 1);
  }

  #verify(block: Block, call: string): void {
    const memory = this.target.memory;
    const intact = block.copy
      ? sameBytes(memory.u8, block.ptr, block.copy, block.size)
      : stateOf(memory, block.ptr, block.size) === "valid";
    if (!intact) {
      throw this.#violation(
        "corrupted",
        `${call}: ${block.name} (${block.size} B at ${block.ptr}) was overwritten while live`,
      );
    }
  }

  /** Alignment, bounds, and no overlap with any live block (equal addresses: a double hand-out). */
  #checkPlace(block: Block, call: string): void {
    const { ptr, size, align, name } = block;
    if (ptr % align !== 0)
      throw this.#violation("misaligned", `${call}->${name} at ${ptr} is not ${align}-aligned`);
    if (!Number.isInteger(ptr) || ptr < 0 || ptr + size > this.target.memory.u8.length) {
      throw this.#violation("out-of-bounds", `${call}->${name} at ${ptr} (+${size} B) is outside the heap`);
    }
    const at = this.#insertionPoint(ptr);
    for (const other of [this.#byAddress[at - 1], this.#byAddress[at]]) {
      if (!other) continue;
      if (other.ptr === ptr) {
        throw this.#violation("double-hand-out", `${call}->${name} at ${ptr} is live block ${other.name}`);
      }
      if (ptr < other.ptr + other.size && other.ptr < ptr + size) {
        throw this.#violation(
          "overlap",
          `${call}->${name} [${ptr}, ${ptr + size}) overlaps ${other.name} [${other.ptr}, ${other.ptr + other.size})`,
        );
      }
    }
    if (looksLive(this.target.memory, ptr, size) && stateOf(this.target.memory, ptr, size) === "valid") {
      throw this.#violation(
        "double-hand-out",
        `${call}->${name} at ${ptr} holds a live object of another owner`,
      );
    }
  }

  #checkZero(block: Block): void {
    const u8 = this.target.memory.u8;
    for (let i = block.ptr; i < block.ptr + block.size; i++) {
      if (u8[i] !== 0) {
        throw this.#violation(
          "not-zeroed",
          `${renderAlloc(block.size, block.align, true)}->${block.name}: byte ${i - block.ptr} is ${u8[i]}, not 0`,
        );
      }
    }
  }

  #checkUsable(block: Block): void {
    if (!this.target.usableSize) return;
    const usable = this.#call(`usableSize(${block.name})`, () => this.target.usableSize!(block.ptr));
    if (!(usable >= block.size)) {
      throw this.#violation(
        "usable-size",
        `usableSize(${block.name}) is ${usable}, less than the ${block.size} B requested`,
      );
    }
  }

  /** The index of the first block at an address >= `ptr` in the address-sorted list. */
  #insertionPoint(ptr: number): number {
    let lo = 0;
    let hi = this.#byAddress.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#byAddress[mid].ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Runs an allocator call; an exception it throws is a violation (the session passes only valid arguments). */
  #call<R>(call: string, fn: () => R): R {
    try {
      return fn();
    } catch (error) {
      this.#note(`${call} threw`);
      throw this.#violation("threw", `${call} threw ${describeError(error)}`);
    }
  }

  #note(line: string): void {
    this.log.push(line);
    if (this.log.length > this.keep * 2) this.log.splice(0, this.log.length - this.keep);
  }

  #violation(kind: ViolationKind, message: string): Violation {
    return new Violation(kind, message, this.log.slice(-Math.min(this.keep, this.log.length)));
  }
}

/** A short description of a thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sameBytes(u8: Uint8Array, ptr: number, expected: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (u8[ptr + i] !== expected[i]) return false;
  return true;
}

/** What {@link runOps} found. `executed` counts the operations run, the failing one included. */
export interface RunResult {
  violation?: Violation;
  session: Session;
  executed: number;
}

/** Runs `ops` on `target` in a new session, then frees what is left. Returns the violation found, if any. */
export function runOps(target: Target, ops: readonly Op[], seed = 1, keep?: number): RunResult {
  const session = new Session(target, seed, keep);
  let executed = 0;
  try {
    for (const op of ops) {
      executed++;
      session.run(op);
    }
    session.freeAll();
    return { session, executed };
  } catch (error) {
    if (error instanceof Violation) return { violation: error, session, executed };
    throw error;
  }
}
