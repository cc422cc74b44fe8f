/**
 * `ObjectPool<T>`: Bonwick's object caching for JavaScript objects, so that churn does not feed the garbage
 * collector.
 *
 * ```
 * slots:   | obj 0 | obj 1 | ... | obj 63 | obj 64 | ... |     objects, created a slab (64 by default) at a time
 * state:   |   3   |   2   | ... |    1   |   0    | ... |     u32 per slot: odd = live; +1 on alloc and dealloc
 * free:    | 64 | 1 | ... |  <- top                          stack of free slot numbers (Int32Array)
 * obj[SLOT]: the object's slot, in a non-enumerable symbol-keyed property added when it is created
 * ```
 *
 * Why a property and not a `Map` from object to slot: a `Map` lookup by object identity costs several cache
 * misses (the object's hash, the bucket, the chain), measured at 4-5x the rest of a pool operation with
 * 100 000 objects; a property of the object being freed is one load from memory the caller just touched.
 * Objects from another pool carry the same property, so `dealloc` also checks that its slot holds that very
 * object.
 *
 * The state counter is also the generation of a handle: `handle = (state & genMask) << slotBits | slot`.
 * A handle is valid while the counter has not moved, so a stale handle (its object freed, maybe reused) or a
 * second free through a handle is detected, until the counter wraps back to the same value after
 * `2^genBits / 2` reuses of that slot (genBits = 30 - slotBits, see {@link ObjectPoolOptions.maxObjects}).
 * Handles stay below 2^30, small integers that V8 never boxes.
 *
 * Once warm, `alloc`, `dealloc` and the handle calls allocate nothing: the arrays only grow with a new slab.
 *
 * @module
 */
import { highestBit, nextPowerOfTwo, type ObjectAlloc } from "@allocators/object-alloc";

/** The key of the hidden property that holds an object's slot (non-enumerable: invisible to keys, JSON, spread). */
const SLOT: unique symbol = Symbol("ObjectPool.slot");

/** Options of an {@link ObjectPool}. */
export interface ObjectPoolOptions<T> {
  /** Makes a new, extensible object: called only when the pool grows. The pool adds a hidden slot property. */
  create: () => T;
  /** Called on `dealloc`, before the object is cached (clear references the object should not keep alive). */
  reset?: (obj: T) => void;
  /** Objects created per growth (a slab). Default 64. */
  slabObjects?: number;
  /**
   * The most objects the pool may create; `alloc` returns null beyond. Default 2^20. It also fixes the handle
   * layout: `slotBits = ceil(log2(maxObjects))` and `30 - slotBits` bits of generation, so a smaller pool
   * detects stale handles over more reuses. At most 2^24.
   */
  maxObjects?: number;
  /** Objects to create up front. Default 0. */
  initialObjects?: number;
}

/** What {@link ObjectPool.stats} reports. */
export interface ObjectPoolStats {
  /** Objects created so far (the pool never drops one). */
  objects: number;
  live: number;
  free: number;
  slabs: number;
  /** Times `create` ran. */
  creates: number;
  /** Times `reset` ran. */
  resets: number;
}

const DEFAULT_SLAB_OBJECTS = 64;
const DEFAULT_MAX_OBJECTS = 2 ** 20;
const MAX_MAX_OBJECTS = 2 ** 24;
const HANDLE_BITS = 30;

/**
 * A pool of JavaScript objects (an `ObjectAlloc<T>`): `alloc` hands back a cached object in the state `reset`
 * left it in, creating objects a slab at a time only when none is free.
 *
 * Misuse is always detected (the cost is a property load and two compares per `dealloc`): freeing an object
 * this pool did not create, or one already free, throws a `RangeError` and changes nothing.
 *
 * @example
 * ```ts
 * const particles = new ObjectPool({ create: () => ({ x: 0, y: 0, ttl: 0 }) });
 * const p = particles.alloc()!;
 * p.ttl = 60;
 * particles.dealloc(p);
 * particles.alloc() === p; // true: no garbage, no constructor
 * ```
 */
export class ObjectPool<T extends object> implements ObjectAlloc<T> {
  readonly #create: () => T;
  readonly #reset: ((obj: T) => void) | null;
  readonly #slabObjects: number;
  readonly #maxObjects: number;
  readonly #slotBits: number;
  readonly #slotMask: number;
  readonly #genMask: number;
  readonly #objects: T[] = [];
  #state = new Uint32Array(0);
  #free = new Int32Array(0);
  #top = 0;
  #creates = 0;
  #resets = 0;

  /** @throws RangeError naming `slabObjects`, `maxObjects` or `initialObjects` when not a valid count. */
  constructor(options: ObjectPoolOptions<T>) {
    const slabObjects = options.slabObjects ?? DEFAULT_SLAB_OBJECTS;
    const maxObjects = options.maxObjects ?? DEFAULT_MAX_OBJECTS;
    assertCount(slabObjects, "slabObjects", 1, MAX_MAX_OBJECTS);
    assertCount(maxObjects, "maxObjects", 1, MAX_MAX_OBJECTS);
    assertCount(options.initialObjects ?? 0, "initialObjects", 0, maxObjects);
    this.#create = options.create;
    this.#reset = options.reset ?? null;
    this.#slabObjects = slabObjects;
    this.#maxObjects = maxObjects;
    // Slot numbers take the bits of the next power of two, at least one bit.
    const slots = Math.max(2, nextPowerOfTwo(maxObjects));
    this.#slotBits = highestBit(slots);
    this.#slotMask = slots - 1;
    this.#genMask = 2 ** (HANDLE_BITS - this.#slotBits) - 1;
    while (this.#objects.length < (options.initialObjects ?? 0)) this.#grow();
  }

  /** A free object (in the state `reset` left it), or null when `maxObjects` are all live. */
  alloc(): T | null {
    if (this.#top === 0 && !this.#grow()) return null;
    const slot = this.#free[--this.#top];
    this.#state[slot]++;
    return this.#objects[slot];
  }

  /**
   * Returns `obj` to the pool, after running `reset` on it.
   * @throws RangeError naming `obj` when it is not a live object of this pool (foreign, or already free).
   */
  dealloc(obj: T): void {
    const slot = this.#slotOfObject(obj);
    if (slot < 0) throw new RangeError("obj must be an object of this pool; got a foreign object");
    if ((this.#state[slot] & 1) === 0)
      throw new RangeError(`obj must be live; got slot ${slot} (double free)`);
    this.#release(slot);
  }

  /** A handle on a free object, now live: a positive integer below 2^30, or 0 when the pool is exhausted. */
  allocHandle(): number {
    if (this.#top === 0 && !this.#grow()) return 0;
    const slot = this.#free[--this.#top];
    const state = ++this.#state[slot];
    return (state & this.#genMask) * (this.#slotMask + 1) + slot;
  }

  /** The object of a live handle. @throws RangeError naming `handle` when it is stale or not of this pool. */
  get(handle: number): T {
    return this.#objects[this.#slotOfHandle(handle)];
  }

  /** True while `handle` is live (false once its object was freed, even if since reused). */
  isLive(handle: number): boolean {
    const slot = handle & this.#slotMask;
    return (
      handle >>> 0 === handle &&
      slot < this.#objects.length &&
      (this.#state[slot] & this.#genMask) === (handle - slot) / (this.#slotMask + 1) &&
      (this.#state[slot] & 1) === 1
    );
  }

  /** Frees the object of `handle`. @throws RangeError naming `handle` when it is stale (a double free) or foreign. */
  deallocHandle(handle: number): void {
    this.#release(this.#slotOfHandle(handle));
  }

  /** The handle of the live object `obj`. @throws RangeError naming `obj` when it is not live in this pool. */
  handleOf(obj: T): number {
    const slot = this.#slotOfObject(obj);
    if (slot < 0 || (this.#state[slot] & 1) === 0)
      throw new RangeError("obj must be a live object of this pool");
    return (this.#state[slot] & this.#genMask) * (this.#slotMask + 1) + slot;
  }

  /** Counters. */
  stats(): ObjectPoolStats {
    const objects = this.#objects.length;
    return {
      objects,
      live: objects - this.#top,
      free: this.#top,
      slabs: Math.ceil(objects / this.#slabObjects),
      creates: this.#creates,
      resets: this.#resets,
    };
  }

  /** The broken invariants found (empty when consistent): free slots distinct and even, live slots odd, map complete. */
  check(): string[] {
    const problems: string[] = [];
    const onStack = new Uint8Array(this.#objects.length);
    for (let i = 0; i < this.#top; i++) {
      const slot = this.#free[i];
      if (onStack[slot]++ > 0) problems.push(`slot ${slot} twice on the free stack`);
      if ((this.#state[slot] & 1) !== 0) problems.push(`free slot ${slot} marked live`);
    }
    for (let slot = 0; slot < this.#objects.length; slot++) {
      if (onStack[slot] === 0 && (this.#state[slot] & 1) === 0)
        problems.push(`slot ${slot} neither live nor free`);
      if (this.#slotOfObject(this.#objects[slot]) !== slot)
        problems.push(`slot ${slot} has a wrong slot property`);
    }
    return problems;
  }

  /** The slot of `obj` when this pool created it, else -1. */
  #slotOfObject(obj: T): number {
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) return -1;
    const slot = (obj as { [SLOT]?: number })[SLOT];
    return slot !== undefined && this.#objects[slot] === obj ? slot : -1;
  }

  #release(slot: number): void {
    if (this.#reset !== null) {
      this.#reset(this.#objects[slot]);
      this.#resets++;
    }
    this.#state[slot]++;
    this.#free[this.#top++] = slot;
  }

  #slotOfHandle(handle: number): number {
    const slot = handle & this.#slotMask;
    if (!this.isLive(handle)) {
      throw new RangeError(
        `handle must be live in this pool; got ${handle} (stale, freed or foreign; slot ${slot})`,
      );
    }
    return slot;
  }

  /** Creates a slab of objects; false when `maxObjects` is reached. */
  #grow(): boolean {
    const first = this.#objects.length;
    const count = Math.min(this.#slabObjects, this.#maxObjects - first);
    if (count === 0) return false;
    if (first + count > this.#state.length)
      this.#reserve(Math.min(this.#maxObjects, Math.max(2 * this.#state.length, first + count)));
    for (let i = 0; i < count; i++) {
      const obj = this.#create();
      if (!Object.isExtensible(obj) || Object.hasOwn(obj, SLOT)) {
        throw new RangeError("create must return a new, extensible object each time");
      }
      Object.defineProperty(obj, SLOT, {
        value: first + i,
        writable: false,
        enumerable: false,
        configurable: false,
      });
      this.#objects.push(obj);
      this.#creates++;
      // Free at once: if a later `create` throws, the objects made so far are consistent, free slots.
      this.#free[this.#top++] = first + i;
    }
    return true;
  }

  #reserve(capacity: number): void {
    const state = new Uint32Array(capacity);
    state.set(this.#state);
    this.#state = state;
    const free = new Int32Array(capacity);
    free.set(this.#free.subarray(0, this.#top));
    this.#free = free;
  }
}

function assertCount(value: number, name: string, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}; got ${value}`);
  }
}
