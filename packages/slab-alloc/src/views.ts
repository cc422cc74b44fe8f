/**
 * The views of 1- and 2-byte elements that a `Memory` does not carry (it has u8, i32, u32, f32 and f64), made
 * over the bytes of the `Memory`'s own `u8` view.
 *
 * Whoever needs them asks the `Memory` for its `u8`: the `Memory` is the one view cache, the only code that
 * decides whether its buffer was replaced or grew. These are remade only when it hands out another `u8`, and
 * cover exactly its bytes. Lengths by division, not `>>>`: a 4 GiB buffer's length is 2^32, which `>>>` wraps
 * to 0.
 *
 * @module
 */

/** An `Int8Array` over the bytes of `u8`. */
export function int8Over(u8: Uint8Array): Int8Array {
  return new Int8Array(u8.buffer, u8.byteOffset, u8.length);
}

/** A `Uint16Array` over the bytes of `u8` (a trailing odd byte left out). */
export function uint16Over(u8: Uint8Array): Uint16Array {
  return new Uint16Array(u8.buffer, u8.byteOffset, Math.floor(u8.length / 2));
}

/** An `Int16Array` over the bytes of `u8` (a trailing odd byte left out). */
export function int16Over(u8: Uint8Array): Int16Array {
  return new Int16Array(u8.buffer, u8.byteOffset, Math.floor(u8.length / 2));
}
