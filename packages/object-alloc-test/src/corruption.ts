/**
 * The corruption tester object: what every test block holds while it is live, so that any write the block's
 * owner did not make (the allocator's metadata, another block, a second owner) is seen when the block is freed.
 *
 * Layout of a block of `size >= 8` bytes at address `p` (little-endian u32s, any alignment):
 * ```
 * p            p+4          p+8                                  p+size
 * | state nonce | hash       | payload: random bytes ...          |
 *               hash = H(p, nonce, size, payload)
 * ```
 * The nonce says the state: {@link NONCE.NEW} (constructed, never used), {@link NONCE.VALID} (live, owned by the
 * test) or {@link NONCE.DROPPED} (given back). Anything else, or a hash that does not match, is `invalid`. The
 * hash covers the address, so a valid object copied or moved elsewhere is invalid there, and it covers every
 * payload byte, so one flipped byte anywhere in the block is seen. Blocks of fewer than 8 bytes hold only
 * payload; the tester keeps a copy of their bytes to compare instead.
 *
 * The nonces are those of the Rust `object-alloc-test` crate.
 *
 * @module
 */
import type { Memory } from "@allocators/object-alloc";
import { finish, mix, type Rng } from "./random.js";

/** The state nonces. */
export const NONCE = { NEW: 3_254_320_468, VALID: 3_033_817_838, DROPPED: 2_620_515_550 } as const;

/** The bytes of the header: nonce and hash. */
export const HEADER_SIZE = 8;

/** What a block's bytes say about it. */
export type ObjectState = "new" | "valid" | "dropped" | "invalid";

/** The hash of the object at `ptr`: its address, nonce, size and payload bytes. */
export function objectHash(memory: Memory, ptr: number, size: number, nonce: number): number {
  const u8 = memory.u8;
  let h = mix(mix(mix(0x9747b28c, ptr), nonce), size);
  for (let i = ptr + HEADER_SIZE; i < ptr + size; i++) h = mix(h, u8[i]);
  return finish(h, size);
}

/** Fills the payload of the block with random bytes, then writes `nonce` and the hash. */
export function stamp(memory: Memory, ptr: number, size: number, nonce: number, rng: Rng): void {
  const u8 = memory.u8;
  const payload = size >= HEADER_SIZE ? ptr + HEADER_SIZE : ptr;
  for (let i = payload; i < ptr + size; i++) u8[i] = rng.u32() & 0xff;
  if (size >= HEADER_SIZE) restamp(memory, ptr, size, nonce);
}

/** Writes `nonce` and the matching hash over the payload the block already holds. */
export function restamp(memory: Memory, ptr: number, size: number, nonce: number): void {
  const view = memory.view;
  view.setUint32(ptr, nonce, true);
  view.setUint32(ptr + 4, objectHash(memory, ptr, size, nonce), true);
}

/** The state the block's bytes show (blocks under 8 bytes have no header: always `invalid`). */
export function stateOf(memory: Memory, ptr: number, size: number): ObjectState {
  if (size < HEADER_SIZE) return "invalid";
  const view = memory.view;
  const nonce = view.getUint32(ptr, true);
  const state =
    nonce === NONCE.NEW
      ? "new"
      : nonce === NONCE.VALID
        ? "valid"
        : nonce === NONCE.DROPPED
          ? "dropped"
          : undefined;
  if (state === undefined) return "invalid";
  return view.getUint32(ptr + 4, true) === objectHash(memory, ptr, size, nonce) ? state : "invalid";
}

/** True when the header shows the VALID nonce, whatever the hash: a block a test still owns (or its copy). */
export function looksLive(memory: Memory, ptr: number, size: number): boolean {
  return size >= HEADER_SIZE && memory.view.getUint32(ptr, true) === NONCE.VALID;
}
