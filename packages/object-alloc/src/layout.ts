/**
 * Sizes, alignments and the validation every allocator of the suite shares.
 *
 * A pointer is a byte offset into a heap of at most 4 GiB (the wasm32 address space), so every size and
 * alignment is an integer no larger than {@link MAX_SIZE}. Validation throws a `RangeError` that names the
 * argument and the value it got, so a bad request is never answered with a wrong block.
 *
 * @module
 */

/** The largest size any allocator of the suite accepts: 2^32 bytes, the whole wasm32 address space. */
export const MAX_SIZE = 2 ** 32;

/** The largest alignment: 2^31, the largest power of two below {@link MAX_SIZE}. */
export const MAX_ALIGN = 2 ** 31;

function reject(name: string, value: unknown, rule: string): never {
  throw new RangeError(`${name} must be ${rule}; got ${describe(value)}`);
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** True for 1, 2, 4, ... up to {@link MAX_ALIGN}. */
export function isPowerOfTwo(value: number): boolean {
  // `&` works on int32: 2^31 becomes -2^31 and 2^31 - 1 stays positive, so the test still holds there.
  return Number.isInteger(value) && value > 0 && value <= MAX_ALIGN && (value & (value - 1)) === 0;
}

/** Throws a `RangeError` naming `name` unless `value` is an integer in `[0, max]`. */
export function assertSize(value: number, name = "size", max = MAX_SIZE): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    reject(name, value, `an integer from 0 to ${max}`);
  }
}

/** Throws a `RangeError` naming `name` unless `value` is a power of two no larger than {@link MAX_ALIGN}. */
export function assertAlign(value: number, name = "align"): void {
  if (!isPowerOfTwo(value)) reject(name, value, `a power of two from 1 to ${MAX_ALIGN}`);
}

/** Throws a `RangeError` naming `name` unless `value` is an integer in `[0, MAX_SIZE)`: 0 (null) or a byte offset. */
export function assertPtr(value: number, name = "ptr"): void {
  if (!(Number.isInteger(value) && value >= 0 && value < MAX_SIZE)) {
    reject(name, value, `a pointer: an integer from 0 to ${MAX_SIZE - 1}`);
  }
}

/** Rounds `value` up to a multiple of the power of two `align`. Exact for every size up to 2^53. */
export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/** Rounds `value` down to a multiple of the power of two `align`. */
export function alignDown(value: number, align: number): number {
  return Math.floor(value / align) * align;
}

/**
 * The size and alignment of a block, as Rust's `core::alloc::Layout`.
 *
 * Invariants: `size` is an integer in `[0, 2^32]` and `align` a power of two no larger than 2^31. As 2^32 is a
 * multiple of every such alignment, {@link Layout.stride} never exceeds the address space either.
 *
 * @example
 * ```ts
 * const header = Layout.from(4, 4);                  // a u32
 * const { layout, offset } = header.extend(Layout.from(8, 8)); // then an f64
 * layout.size;   // 16
 * offset;        // 8
 * layout.array(10).size; // 160
 * ```
 */
export class Layout {
  private constructor(
    /** The size in bytes. */
    readonly size: number,
    /** The alignment in bytes: a power of two. */
    readonly align: number,
  ) {}

  /**
   * A layout of `size` bytes aligned to `align`.
   * @throws RangeError naming `size` for a negative, fractional, NaN or infinite size or one above 2^32, and
   * naming `align` for an alignment that is not a power of two.
   */
  static from(size: number, align = 1): Layout {
    assertSize(size);
    assertAlign(align);
    return new Layout(size, align);
  }

  /** The distance between consecutive elements of an array of this layout: `size` rounded up to `align`. */
  get stride(): number {
    return alignUp(this.size, this.align);
  }

  /** The bytes to add after `size` so that the next byte is aligned to `align`. */
  paddingNeededFor(align: number): number {
    assertAlign(align);
    return alignUp(this.size, align) - this.size;
  }

  /** This layout with its size rounded up to its alignment (C's `sizeof` of a struct). */
  padToAlign(): Layout {
    return new Layout(this.stride, this.align);
  }

  /** This layout with at least the alignment `align`. */
  alignTo(align: number): Layout {
    assertAlign(align);
    return Layout.from(this.size, Math.max(this.align, align));
  }

  /**
   * `count` consecutive elements of this layout, each padded to the alignment.
   * @throws RangeError naming `count` when it is not a non-negative integer or the array exceeds 2^32 bytes.
   */
  array(count: number): Layout {
    assertSize(count, "count");
    const size = this.stride * count;
    assertSize(size, "count * stride");
    return new Layout(size, this.align);
  }

  /**
   * Appends a field of layout `next`, as a C struct does: returns the combined layout (not padded at the end;
   * call {@link Layout.padToAlign} for that) and the offset at which the field starts.
   */
  extend(next: Layout): { layout: Layout; offset: number } {
    const offset = alignUp(this.size, next.align);
    return { layout: Layout.from(offset + next.size, Math.max(this.align, next.align)), offset };
  }

  /** True when both size and alignment are equal. */
  equals(other: Layout): boolean {
    return this.size === other.size && this.align === other.align;
  }

  toString(): string {
    return `Layout(size ${this.size}, align ${this.align})`;
  }
}
