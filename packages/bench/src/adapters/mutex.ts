/**
 * A three-state futex mutex (Drepper, "Futexes are tricky") in an Int32Array of a SharedArrayBuffer: the
 * lock a user would put around a single-threaded allocator to share it between workers.
 *
 * States: 0 unlocked, 1 locked, 2 locked with waiters. `lock` spins briefly with compareExchange, then marks
 * the lock contended (2) and sleeps in Atomics.wait; `unlock` wakes one sleeper only when the state was 2.
 *
 * @module
 */
const SPINS = 100;

export class Mutex {
  readonly #cell: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#cell = new Int32Array(buffer, 0, 1);
  }

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(64);
  }

  lock(): void {
    const cell = this.#cell;
    for (let i = 0; i < SPINS; i++) if (Atomics.compareExchange(cell, 0, 0, 1) === 0) return;
    // Announce a waiter (2) before sleeping, so that the holder's unlock wakes us.
    while (Atomics.exchange(cell, 0, 2) !== 0) Atomics.wait(cell, 0, 2);
  }

  unlock(): void {
    if (Atomics.exchange(this.#cell, 0, 0) === 2) Atomics.notify(this.#cell, 0, 1);
  }
}
