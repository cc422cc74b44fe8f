/**
 * The read-only walks of a `SlabAlloc`: `stats()` counts its slabs and objects, `check()` verifies every
 * invariant. Both read the lists (slab-lists.ts), the slab headers (their layout is in geometry.ts) and the
 * locator (slab-locator.ts) through a {@link SlabState} the allocator hands over.
 *
 * ```
 * check, for each list, each header h on it:
 *   TAG and SELF are ours; LIST names this list; PREV is the slab before; FREE fits the list (0 full, n
 *   empty, between for partial, except that the lone current slab may be all free); the locator finds h;
 *   the free stack holds distinct object indices; checked mode: the live bitmap is exactly the objects not
 *   on the stack
 * then: the lists hold every slab once; the empty-slab counter; the locator (page map size, header cache)
 * ```
 *
 * @module
 */
import { type Geometry, Header, isLive, type SlabKind, SlabList, STACK } from "./geometry.js";
import { listLength } from "./slab-lists.js";
import type { SlabLocator } from "./slab-locator.js";

const { TAG, SELF, FREE, NEXT, PREV, LIST, SLAB } = Header;
const { PARTIAL, FULL, EMPTY } = SlabList;

/** What the walks read of an allocator: its views, constants, list heads and counters. */
export interface SlabState {
  readonly geometry: Geometry;
  /** Bytes of an object. */
  readonly size: number;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly tag: number;
  readonly checked: boolean;
  readonly colouring: boolean;
  /** Heads of the partial, full and empty lists. */
  readonly heads: readonly [partial: number, full: number, empty: number];
  /** Slabs mapped. */
  readonly slabs: number;
  /** The allocator's count of empty slabs. */
  readonly emptySlabs: number;
  readonly locator: SlabLocator;
  readonly constructorCalls: number;
  readonly destructorCalls: number;
  readonly slabsReleased: number;
}

/** What `SlabAlloc.stats()` reports. */
export interface SlabStats {
  kind: SlabKind;
  size: number;
  align: number;
  stride: number;
  slabBytes: number;
  objectsPerSlab: number;
  colours: number;
  checked: boolean;
  slabs: number;
  partialSlabs: number;
  fullSlabs: number;
  emptySlabs: number;
  liveObjects: number;
  freeObjects: number;
  /** Bytes of slabs mapped, plus the header cache's for large slabs. */
  mappedBytes: number;
  constructorCalls: number;
  destructorCalls: number;
  slabsReleased: number;
}

/**
 * The counters and geometry of `state`. Live objects are counted from the slabs' free counts: the hot path keeps
 * no counter of its own (two fewer writes per alloc/free pair), so this walks the partial list; full slabs are
 * all live, empty ones all free.
 */
export function slabStats(state: SlabState): SlabStats {
  const { geometry: g, u32, slabs } = state;
  const n = g.objectsPerSlab;
  const [partial, full] = state.heads;
  const partialSlabs = listLength(u32, partial, slabs);
  const fullSlabs = listLength(u32, full, slabs);
  let live = fullSlabs * n;
  for (let h = partial; h !== 0; h = u32[(h >>> 2) + NEXT]) live += n - u32[(h >>> 2) + FREE];
  return {
    kind: g.kind,
    size: state.size,
    align: g.align,
    stride: g.stride,
    slabBytes: g.slabBytes,
    objectsPerSlab: n,
    colours: state.colouring ? g.colours : 1,
    checked: state.checked,
    slabs,
    partialSlabs,
    fullSlabs,
    emptySlabs: state.emptySlabs,
    liveObjects: live,
    freeObjects: slabs * n - live,
    mappedBytes: slabs * g.slabBytes + state.locator.headerBytes(),
    constructorCalls: state.constructorCalls,
    destructorCalls: state.destructorCalls,
    slabsReleased: state.slabsReleased,
  };
}

/** The broken invariants of `state`, as sentences (empty when consistent). */
export function checkSlabs(state: SlabState): string[] {
  const problems: string[] = [];
  const { u32, slabs: mapped } = state;
  let slabs = 0;
  for (const list of [PARTIAL, FULL, EMPTY]) {
    let prev = 0;
    for (let h = state.heads[list - PARTIAL]; h !== 0; h = u32[(h >>> 2) + NEXT]) {
      if (++slabs > mapped) {
        problems.push(`list ${list} holds more slabs than the ${mapped} mapped (a cycle?)`);
        break;
      }
      checkSlab(state, h, list, prev, problems);
      prev = h;
    }
  }
  if (slabs !== mapped) problems.push(`lists hold ${slabs} slabs, ${mapped} mapped`);
  if (listLength(u32, state.heads[EMPTY - PARTIAL], mapped) !== state.emptySlabs) {
    problems.push("empty-slab counter is wrong");
  }
  state.locator.check(mapped, problems);
  return problems;
}

function checkSlab(state: SlabState, h: number, list: number, prev: number, problems: string[]): void {
  const { u32, u16 } = state;
  const n = state.geometry.objectsPerSlab;
  const w = h >>> 2;
  const free = u32[w + FREE];
  const where = `slab header ${h}`;
  if (u32[w + TAG] !== state.tag || u32[w + SELF] !== h) problems.push(`${where}: bad tag`);
  if (u32[w + LIST] !== list) problems.push(`${where}: in list ${list}, says ${u32[w + LIST]}`);
  if (u32[w + PREV] !== prev) problems.push(`${where}: PREV is ${u32[w + PREV]}, not ${prev}`);
  const current = list === PARTIAL && prev === 0 && u32[w + NEXT] === 0;
  const expected =
    list === FULL ? free === 0 : list === EMPTY ? free === n : free > 0 && (free < n || current);
  if (!expected) problems.push(`${where}: ${free} free objects in list ${list}`);
  const placement = state.locator.slabProblem(h, u32[w + SLAB]);
  if (placement !== "") problems.push(`${where}: ${placement}`);
  const onStack = new Uint8Array(n);
  for (let i = 0; i < free; i++) {
    const index = u16[(h >>> 1) + STACK + i] >>> 1;
    if (index >= n) problems.push(`${where}: stack entry ${i} is not an object index`);
    else if (onStack[index]++ > 0) problems.push(`${where}: object ${index} twice on the free stack`);
  }
  if (!state.checked) return;
  for (let index = 0; index < n; index++) {
    if (isLive(u32, w, state.geometry.bitmapWord, index) === onStack[index] > 0) {
      problems.push(`${where}: bitmap disagrees with the free stack for object ${index}`);
    }
  }
}
