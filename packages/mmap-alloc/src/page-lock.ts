/**
 * The page lock: a mutex in one Int32 word of the shared buffer that records its holder, so that the lock of
 * a worker terminated while holding it can be taken over by another worker.
 *
 * @module
 */

/**
 * The lock word:
 * ```
 *  31                                   1   0
 * +--------------------------------------+---+
 * | holder id (1 .. 2^30 - 1)            | W |     0 = free
 * +--------------------------------------+---+     W = some worker may be sleeping in Atomics.wait
 * ```
 * Acquire is one `compareExchange(0 -> id << 1)`; release is one `exchange(-> 0)`, followed by a `notify` only
 * when W was set (Drepper's "futexes are tricky" mutex, with the holder id in the upper bits). A worker that
 * slept sets W again when it takes the lock, because other sleepers may remain.
 *
 * Memory order: every access to the word is a sequentially consistent Atomics operation, so the plain writes
 * a holder makes to the page tree before its releasing `exchange` happen before the plain reads of the next
 * holder after its acquiring `compareExchange`.
 */
const SPINS = 64;
const SLEEP_MS = 20;

/** Whether this agent may block in `Atomics.wait` on `m` (not on a browser's main thread, not unshared). */
export function canSleep(m: Int32Array, index: number): boolean {
  if (!(m.buffer instanceof SharedArrayBuffer)) return false;
  try {
    Atomics.wait(m, index, Atomics.load(m, index) ^ 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the lock at `m[index]` for `holder`, spinning then sleeping (or only spinning when `sleep` is false). */
export function lock(m: Int32Array, index: number, holder: number, sleep: boolean): void {
  if (Atomics.compareExchange(m, index, 0, holder << 1) !== 0) lockContended(m, index, holder << 1, sleep);
}

function lockContended(m: Int32Array, index: number, mine: number, sleep: boolean): void {
  for (let spin = 0; spin < SPINS; spin++) {
    if (Atomics.load(m, index) === 0 && Atomics.compareExchange(m, index, 0, mine) === 0) return;
  }
  for (;;) {
    const seen = Atomics.load(m, index);
    if (seen === 0) {
      if (Atomics.compareExchange(m, index, 0, mine | 1) === 0) return;
    } else if (!sleep) {
    } else if ((seen & 1) === 1 || Atomics.compareExchange(m, index, seen, seen | 1) === seen) {
      // The timeout is only a safety net: release notifies every time W is set.
      Atomics.wait(m, index, seen | 1, SLEEP_MS);
    }
  }
}

/** Releases the lock at `m[index]`, waking one sleeper if any may be waiting. */
export function unlock(m: Int32Array, index: number): void {
  if ((Atomics.exchange(m, index, 0) & 1) === 1 && m.buffer instanceof SharedArrayBuffer) {
    Atomics.notify(m, index, 1);
  }
}

/** The id of the lock's holder, or 0 when it is free. */
export function holderOf(m: Int32Array, index: number): number {
  return Atomics.load(m, index) >>> 1;
}

/**
 * Takes over the lock from `deadHolder` for `holder`: succeeds only while `deadHolder` still holds it, in one
 * `compareExchange`, so it cannot steal the lock from a live holder that took it in between.
 */
export function takeOver(m: Int32Array, index: number, deadHolder: number, holder: number): boolean {
  for (;;) {
    const seen = Atomics.load(m, index);
    if (seen >>> 1 !== deadHolder) return false;
    if (Atomics.compareExchange(m, index, seen, (holder << 1) | (seen & 1)) === seen) return true;
  }
}
