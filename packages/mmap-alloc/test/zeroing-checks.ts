/**
 * Zeroing checks shared by the Node and Chromium test files.
 *
 * @module
 */
import { expect } from "vitest";
import { AddressSpace, type Backing } from "../src/index.js";
import type { PageZeroer } from "../src/zeroing.js";

export const PAGE = 4096;

/** Fills the range and a page around it with 0xff, zeroes `[ptr, ptr + bytes)`, and checks exactly that range reads zero. */
export function zeroesExactly(
  zeroer: PageZeroer,
  source: { buffer: ArrayBufferLike },
  ptr: number,
  bytes: number,
): void {
  new Uint8Array(source.buffer).fill(0xff, 0, ptr + bytes + PAGE);
  zeroer.zero(ptr, bytes);
  const u8 = new Uint8Array(source.buffer);
  expect(u8[ptr - 1]).toBe(0xff);
  expect(u8.subarray(ptr, ptr + bytes).every((b) => b === 0)).toBe(true);
  expect(u8[ptr + bytes]).toBe(0xff);
}

/** Dirties a page and a 20-page run, unmaps them, maps them again: they come back at the same place, zeroed. */
export function reusedRunsReadZero(backing: Backing): AddressSpace {
  const space = AddressSpace.create({ maxBytes: 16 << 20, backing });
  const page = space.map(PAGE);
  const run = space.map(20 * PAGE);
  space.u8.fill(0xee, page, page + PAGE);
  space.u8.fill(0xee, run, run + 20 * PAGE);
  space.unmap(page, PAGE);
  space.unmap(run, 20 * PAGE);
  expect(space.check()).toEqual([]);
  expect([space.map(PAGE), space.map(20 * PAGE)]).toEqual([page, run]);
  expect(space.u8.subarray(page, page + PAGE).every((b) => b === 0)).toBe(true);
  expect(space.u8.subarray(run, run + 20 * PAGE).every((b) => b === 0)).toBe(true);
  return space;
}
