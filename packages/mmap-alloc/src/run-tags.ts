/**
 * Run tags: one Int32 word per page of the space, after the page tree, telling where runs begin and end. The
 * tree knows which pages are used; the tags know which run a page belongs to:
 * ```
 * run of n pages at s:  tag[s] = n | label << 24      tag[s + n - 1] = -n  (n > 1)      pages inside: 0
 * one page at s:        tag[s] = 1 | label << 24
 * free page:            0, or DIRTY_TAG (-1): unmapped without zeroing (zeroing.ts)
 * cached page:          CACHED_TAG (-2^30) or a handle cache's tag (-2^30 + 1 + index) (page-cache.ts)
 * ```
 * So a run is found from its first page (head unmaps) or from its last page (tail unmaps), and a double
 * unmap, an unmap of free pages or of a run's middle finds no tag. The tag values do not overlap: heads are
 * positive, tails from -2 to -2^24, DIRTY_TAG is -1, and cache tags are below every tail.
 *
 * @module
 */

/** The run length in a head tag; the bits above it hold the run's label. */
export const COUNT_MASK = 0xffffff;
export const LABEL_SHIFT = 24;
/** The largest label a run can carry. */
export const MAX_LABEL = 127;
/** The tag of a page in the shared page cache: negative like a tail tag, but no run is that long. */
export const CACHED_TAG = -0x40000000;
/** The tag of a free page that was not zeroed when unmapped: -1, which no tail (-n for n >= 2) has. */
export const DIRTY_TAG = -1;

/** The head tag of a run of `count` pages labelled `label`. */
export function headTag(count: number, label: number): number {
  return count | (label << LABEL_SHIFT);
}

/** The tail tag of a run of `count` pages whose head tag is `head`: the head itself for one page. */
export function tailTag(count: number, head: number): number {
  return count > 1 ? -count : head;
}

/**
 * The first page of the run whose head or tail is `[first, first + count)`, in a space of `pages` pages whose
 * tags start at word `tags`; -1 when the range is no mapped run's head or tail. The caller owns that run, so
 * its tags are stable without the lock.
 */
export function runAround(m: Int32Array, tags: number, pages: number, first: number, count: number): number {
  const head = m[tags + first];
  if (head > 0 && (head & COUNT_MASK) >= count) return first;
  const last = first + count - 1;
  if (head <= 0 && last < pages) {
    const tail = m[tags + last];
    const length = tail < -COUNT_MASK ? 0 : tail < 0 ? -tail : (tail & COUNT_MASK) === 1 ? 1 : 0;
    if (length > 0 && last - length + 1 < first) return last - length + 1;
  }
  return -1;
}

/** @throws RangeError naming `label` unless it is an integer from 0 to {@link MAX_LABEL}. */
export function assertLabel(label: number): void {
  if (!(Number.isInteger(label) && label >= 0 && label <= MAX_LABEL)) {
    throw new RangeError(`label must be an integer from 0 to ${MAX_LABEL}; got ${label}`);
  }
}
