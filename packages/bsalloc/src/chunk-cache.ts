/**
 * A class cache: a small array of slots in the root, each holding a free chunk's pointer or 0, probed as in
 * the Rust bsalloc: start at a slot, step by an odd stride (which visits every slot of a power-of-two array),
 * give up after `patience` probes. Unlike the original, whose start was random per call, each handle has a home
 * slot and a stride of its own, drawn at random once: a worker's frees and allocations probe the same slots,
 * so it finds the chunk it freed last (warm in its cache), and workers mostly probe different slots.
 *
 * Every transfer is one CAS on one slot, so a chunk is in at most one slot and a worker killed at any instant
 * leaves each slot either holding a chunk or empty. A chunk taken from a slot by a worker that dies before
 * using it is lost: one chunk per killed worker at most. A slot's value can leave and come back (ABA) between
 * a probe's load and its CAS; that is harmless, since a slot holding `p` means `p` is cached, whoever put it.
 *
 * @module
 */

/**
 * Empties one non-empty slot of the cache at i32 index `slots0` (mask `mask`) and returns its chunk, or 0
 * when `patience` probes from slot `home` by `stride` (odd) found none.
 */
export function takeCached(
  i32: Int32Array,
  slots0: number,
  mask: number,
  patience: number,
  home: number,
  stride: number,
): number {
  let slot = home;
  for (let probe = 0; probe < patience; probe++) {
    const held = Atomics.load(i32, slots0 + slot);
    if (held !== 0 && Atomics.compareExchange(i32, slots0 + slot, held, 0) === held) return held >>> 0;
    slot = (slot + stride) & mask;
  }
  return 0;
}

/** Puts chunk `ptr` in an empty slot of the cache; false when `patience` probes found every slot full. */
export function putCached(
  i32: Int32Array,
  slots0: number,
  mask: number,
  patience: number,
  home: number,
  stride: number,
  ptr: number,
): boolean {
  let slot = home;
  for (let probe = 0; probe < patience; probe++) {
    if (
      Atomics.load(i32, slots0 + slot) === 0 &&
      Atomics.compareExchange(i32, slots0 + slot, 0, ptr | 0) === 0
    ) {
      return true;
    }
    slot = (slot + stride) & mask;
  }
  return false;
}
