/**
 * Blocking use of any structure as a channel: consumers sleep on the header's SIGNAL word, producers pay for
 * a notify only when a consumer announced that it sleeps, and close() wakes everyone.
 *
 * The handshake (all operations are sequentially consistent Atomics, so they fall in one total order):
 *
 * ```
 *  consumer                                   producer (Stack)
 *  g = load(SIGNAL)                           publish the item (a CAS in the structure)
 *  announce: add(SLEEPERS, 1)                 if load(SLEEPERS) > 0:
 *  tryPop()  -> item? leave                       add(SIGNAL, 1); notify(SIGNAL, 1)
 *  wait(SIGNAL, g)
 *  leave: sub(SLEEPERS, 1)
 * ```
 *
 * Either the producer's load of SLEEPERS comes after the consumer's add, and it bumps SIGNAL: the consumer's
 * wait then either finds SIGNAL != g and returns at once, or is already waiting and is notified. Or the load
 * comes before the add, so the publish does too, and the consumer's tryPop after its add sees the item.
 *
 * Rings (Queue, BagPipe) save producers that load: the consumer announces itself in the cell the next item
 * will be published in (ring.ts: FREE -> WAITED, WRITING -> WRITING_WAITED, one CAS per ring), and the push
 * that publishes from a marked state bumps SIGNAL and notifies. The mark and the producer's claim or publish
 * are CASes on one word, so either the mark comes first and the publish sees it (and bumps SIGNAL after the
 * consumer read g), or the item is already there for the consumer's tryPop. A mark left by a consumer that
 * timed out costs the next push one notify. No wake-up is lost either way. close() sets CLOSED before it bumps
 * SIGNAL and notifies everyone, so a consumer sees CLOSED either in its check before sleeping or when it wakes.
 *
 * @module
 */
import { CLOSED, EMPTY, Region, SIGNAL, SLEEPERS } from "./region.js";

/** What {@link Channel}'s sleep preparation returns when the pop must sleep (items are u32, EMPTY is -1). */
const SLEEP = -2;

/** tryPop attempts of a blocking pop before it goes to sleep. */
const SPINS_BEFORE_SLEEP = 256;

/** Options of a blocking pop. */
export interface PopOptions {
  /** Milliseconds to wait at most for an item (default: forever). */
  timeout?: number;
}

/** How long a blocking pop sleeps at most when its last tryPop found a writer late (it retries after). */
const LATE_WRITER_WAIT_MS = 1;

/** A structure that can be used as a channel: blocking and async pops, close(). */
export abstract class Channel extends Region {
  /**
   * Set by tryPop when its EMPTY was (also) due to a push still being written: a blocking pop then sleeps
   * only briefly, since no notify may come (the writer may have been terminated; retries give it up, and an
   * older lap's ABANDONED mark in a ring cannot be marked for a wake-up).
   */
  protected lateWriter = false;
  /** The SIGNAL value and the milliseconds (undefined: no limit) of the sleep {@link #beforeSleep} prepared. */
  #generation = 0;
  #sleepFor: number | undefined;

  /** One non-blocking attempt to take an item; {@link EMPTY} when there is none. */
  abstract tryPop(): number;

  /** Pops up to `max` items into `out` from `start`; returns how many were popped. */
  popBulk(out: { [index: number]: number; length: number }, start = 0, max = out.length - start): number {
    for (let n = 0; n < max; n++) {
      const item = this.tryPop();
      if (item === EMPTY) return n;
      out[start + n] = item;
    }
    return max;
  }

  /** True once {@link Channel.close} ran (in any worker). */
  get closed(): boolean {
    return Atomics.load(this.view(), this.base + CLOSED) !== 0;
  }

  /**
   * Makes every later push fail and wakes every blocked or async pop. Items already in stay poppable:
   * consumers drain them, then their pops return {@link EMPTY} at once.
   */
  close(): void {
    const i32 = this.view();
    Atomics.store(i32, this.base + CLOSED, 1);
    Atomics.add(i32, this.base + SIGNAL, 1);
    Atomics.notify(i32, this.base + SIGNAL);
  }

  /**
   * Takes an item, sleeping with `Atomics.wait` while there is none: for workers (the browser main thread
   * cannot block; use {@link Channel.popAsync} there). Returns {@link EMPTY} after `timeout` ms, or once the
   * channel is closed and drained.
   */
  pop(options: PopOptions = {}): number {
    const timeout = timeoutOf(options);
    const first = this.tryPop(); // the common case in a busy pipeline: no clock read
    if (first !== EMPTY) return first;
    const deadline = performance.now() + timeout;
    for (;;) {
      const item = this.#beforeSleep(deadline);
      if (item !== SLEEP) return item;
      Atomics.wait(this.view(), this.base + SIGNAL, this.#generation, this.#sleepFor);
      this.leaveSleep(this.view());
    }
  }

  /**
   * Takes an item, waiting with `Atomics.waitAsync` while there is none: does not block the thread, so it
   * works on a browser main thread. Resolves to {@link EMPTY} after `timeout` ms or once closed and drained.
   */
  async popAsync(options: PopOptions = {}): Promise<number> {
    const deadline = performance.now() + timeoutOf(options);
    for (;;) {
      const item = this.#beforeSleep(deadline);
      if (item !== SLEEP) return item;
      const timeout = this.#sleepFor ?? Number.POSITIVE_INFINITY;
      await waitAsync(this.view(), this.base + SIGNAL, this.#generation, timeout);
      this.leaveSleep(this.view());
    }
  }

  /**
   * Tells producers that a consumer is about to sleep, so that the next publish wakes it. By default (the
   * Stack): counted in SLEEPERS, which producers read after each push ({@link Channel.wakeOne}).
   */
  protected announceSleep(i32: Int32Array): void {
    Atomics.add(i32, this.base + SLEEPERS, 1);
  }

  /** Undoes {@link Channel.announceSleep} once the consumer is awake. */
  protected leaveSleep(i32: Int32Array): void {
    Atomics.sub(i32, this.base + SLEEPERS, 1);
  }

  /** Stack producers call this after a successful push: one atomic load unless someone sleeps. */
  protected wakeOne(i32: Int32Array): void {
    if (Atomics.load(i32, this.base + SLEEPERS) === 0) return;
    Atomics.add(i32, this.base + SIGNAL, 1);
    Atomics.notify(i32, this.base + SIGNAL, 1);
  }

  /**
   * Pushes check this first. A plain load (an atomic one costs a call on every push): a push that happens after
   * close() (ordered by any synchronisation, such as a message or an atomic the closer wrote later) sees CLOSED
   * all the same, and a push racing with close() may land either way, as it could with an atomic load, since
   * the check and the publish are not one atomic step.
   */
  protected isClosed(i32: Int32Array): boolean {
    return i32[this.base + CLOSED] !== 0;
  }

  /**
   * A few tries before sleeping: in a busy pipeline the next item is usually a moment away, and a futex
   * sleep and wake-up costs tens of microseconds.
   */
  #spinPop(): number {
    let item = this.tryPop();
    for (let spins = SPINS_BEFORE_SLEEP; item === EMPTY && spins > 0 && !this.closed; spins--)
      item = this.tryPop();
    return item;
  }

  /**
   * What pop and popAsync do before each sleep: spin, then announce the sleep and look once more. Returns
   * the item to return ({@link EMPTY} once closed and drained or out of time), or SLEEP with
   * {@link #generation} and {@link #sleepFor} set for the wait that follows at once (synchronously, so two
   * popAsync calls on one handle cannot mix them up).
   */
  #beforeSleep(deadline: number): number {
    const item = this.#spinPop();
    if (item !== EMPTY) return item;
    const i32 = this.view();
    this.#generation = Atomics.load(i32, this.base + SIGNAL);
    this.announceSleep(i32);
    const again = this.tryPop();
    if (again !== EMPTY || this.closed) return this.#awake(again);
    const left = deadline - performance.now();
    if (left <= 0) return this.#awake(this.tryPop());
    const ms = this.lateWriter ? Math.min(left, LATE_WRITER_WAIT_MS) : left;
    this.#sleepFor = ms === Number.POSITIVE_INFINITY ? undefined : ms;
    return SLEEP;
  }

  #awake(item: number): number {
    this.leaveSleep(this.view());
    return item;
  }
}

/** The timeout of a blocking pop, checked before the pop changes anything. */
function timeoutOf(options: PopOptions): number {
  const timeout = options.timeout ?? Number.POSITIVE_INFINITY;
  if (!(timeout >= 0)) throw new RangeError(`timeout must be a number of milliseconds >= 0; got ${timeout}`);
  return timeout;
}

/** `Atomics.waitAsync` where it exists; else a short timer, after which the caller re-checks. */
function waitAsync(i32: Int32Array, index: number, value: number, timeout: number): Promise<unknown> {
  const wait = (Atomics as { waitAsync?: typeof Atomics.waitAsync }).waitAsync;
  if (wait === undefined) return new Promise((resolve) => setTimeout(resolve, Math.min(timeout, 4)));
  const result = wait(i32, index, value, timeout === Number.POSITIVE_INFINITY ? undefined : timeout);
  return result.async ? result.value : Promise.resolve(result.value);
}
