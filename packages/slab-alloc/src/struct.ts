/**
 * Structs in slabs: a C-like layout for named numeric fields, and typed accessors that read and write a field
 * of the struct at any pointer.
 *
 * ```
 * struct({ id: "u32", x: "f64", y: "f64", hp: "u16" })
 * offset 0     4       8        16       24   26      32
 *        | id  | pad   | x      | y      | hp | pad   |   size 32, align 8 (C's rules: each field at a
 *                                                          multiple of its size, the whole padded to the
 *                                                          largest alignment)
 * ```
 *
 * An accessor reads through the last fixed-length views its `Memory` handed out (V8 optimises those far better
 * than the length-tracking views of a growable buffer) and asks the `Memory` again when a pointer falls
 * beyond them, which is how it follows a buffer that grew or a `WebAssembly.Memory` whose buffer was replaced.
 *
 * @module
 */
import { Layout, type Memory, type Ptr } from "@allocators/object-alloc";
import { int8Over, int16Over, uint16Over } from "./views.js";

/** The field types: little-endian integers and floats of 1 to 8 bytes (no 64-bit integers: no BigInt). */
export type FieldType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64";

/** The bytes of each field type, which is also its alignment. */
export const FIELD_BYTES: Readonly<Record<FieldType, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  f64: 8,
};

/** A field of a struct in memory: `get(ptr)` and `set(ptr, value)` for the struct at `ptr`. */
export interface Field {
  /** The field's offset in the struct. */
  readonly offset: number;
  get(ptr: Ptr): number;
  set(ptr: Ptr, value: number): void;
}

/** The accessors of every field of a struct, bound to one memory. */
export type StructAccessors<F extends Record<string, FieldType>> = { readonly [K in keyof F]: Field };

/** A struct type: its layout, its field offsets, and accessors on demand. */
export interface StructType<F extends Record<string, FieldType>> {
  /** Size (padded to the alignment) and alignment: pass it to `SlabAlloc` as `{ ...type.layout }`, or its fields. */
  readonly layout: Layout;
  readonly offsets: { readonly [K in keyof F]: number };
  /** Typed accessors for every field, reading and writing `memory`. */
  bind(memory: Memory): StructAccessors<F>;
}

/**
 * Lays out `fields` in declaration order as a C compiler would, and returns the struct type.
 * @throws RangeError naming `fields` for an unknown field type.
 *
 * @example
 * ```ts
 * const Particle = struct({ x: "f64", y: "f64", ttl: "u32" });
 * const particles = new SlabAlloc(space, { size: Particle.layout.size, align: Particle.layout.align });
 * const { x, ttl } = Particle.bind(space);
 * const p = particles.alloc();
 * x.set(p, 1.5);
 * ttl.set(p, ttl.get(p) + 60);
 * ```
 */
export function struct<F extends Record<string, FieldType>>(fields: F): StructType<F> {
  let layout = Layout.from(0, 1);
  const offsets: Record<string, number> = {};
  for (const [name, type] of Object.entries(fields)) {
    const bytes = FIELD_BYTES[type];
    if (bytes === undefined)
      throw new RangeError(`fields.${name} must be a field type (u8 ... f64); got ${type}`);
    const placed = layout.extend(Layout.from(bytes, bytes));
    offsets[name] = placed.offset;
    layout = placed.layout;
  }
  layout = layout.padToAlign();
  return {
    layout,
    offsets: offsets as { [K in keyof F]: number },
    bind(memory) {
      const views = new FixedViews(memory);
      const accessors: Record<string, Field> = {};
      for (const [name, type] of Object.entries(fields))
        accessors[name] = makeField(type, views, offsets[name]);
      return accessors as StructAccessors<F>;
    },
  };
}

/**
 * The last views `memory` handed out, for the accessors' hot path (one field load and a length test), taken
 * again when a pointer falls beyond them. `memory` is the view cache; the 1- and 2-byte views it does not
 * have are made over its `u8` (views.ts).
 */
class FixedViews {
  u8!: Uint8Array;
  i8!: Int8Array;
  u16!: Uint16Array;
  i16!: Int16Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  f32!: Float32Array;
  f64!: Float64Array;

  constructor(readonly memory: Memory) {
    this.refresh();
  }

  /** Takes the memory's current views. */
  refresh(): void {
    const memory = this.memory;
    // u8 first: the views taken after it cover at least its bytes, so a pointer `grown` finds inside u8 is
    // inside every view.
    const u8 = memory.u8;
    if (u8 !== this.u8) {
      this.u8 = u8;
      this.i8 = int8Over(u8);
      this.u16 = uint16Over(u8);
      this.i16 = int16Over(u8);
    }
    this.u32 = memory.u32;
    this.i32 = memory.i32;
    this.f32 = memory.f32;
    this.f64 = memory.f64;
  }

  /** Called when element `index` of a view of 2^`shift`-byte elements fell beyond it: refreshes, throws if still beyond. */
  grown(index: number, shift: number): void {
    this.refresh();
    if ((index + 1) * 2 ** shift > this.u8.length) {
      throw new RangeError(`ptr must address memory; byte ${index * 2 ** shift} is beyond the buffer`);
    }
  }
}

// One class per type keeps every call site monomorphic: each reads one kind of typed array.

class U8Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = ptr + this.offset;
    if (i >= this.views.u8.length) this.views.grown(i, 0);
    return this.views.u8[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = ptr + this.offset;
    if (i >= this.views.u8.length) this.views.grown(i, 0);
    this.views.u8[i] = value;
  }
}

class I8Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = ptr + this.offset;
    if (i >= this.views.i8.length) this.views.grown(i, 0);
    return this.views.i8[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = ptr + this.offset;
    if (i >= this.views.i8.length) this.views.grown(i, 0);
    this.views.i8[i] = value;
  }
}

class U16Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 1;
    if (i >= this.views.u16.length) this.views.grown(i, 1);
    return this.views.u16[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 1;
    if (i >= this.views.u16.length) this.views.grown(i, 1);
    this.views.u16[i] = value;
  }
}

class I16Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 1;
    if (i >= this.views.i16.length) this.views.grown(i, 1);
    return this.views.i16[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 1;
    if (i >= this.views.i16.length) this.views.grown(i, 1);
    this.views.i16[i] = value;
  }
}

class U32Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.u32.length) this.views.grown(i, 2);
    return this.views.u32[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.u32.length) this.views.grown(i, 2);
    this.views.u32[i] = value;
  }
}

class I32Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.i32.length) this.views.grown(i, 2);
    return this.views.i32[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.i32.length) this.views.grown(i, 2);
    this.views.i32[i] = value;
  }
}

class F32Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.f32.length) this.views.grown(i, 2);
    return this.views.f32[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 2;
    if (i >= this.views.f32.length) this.views.grown(i, 2);
    this.views.f32[i] = value;
  }
}

class F64Field implements Field {
  constructor(
    readonly views: FixedViews,
    readonly offset: number,
  ) {}
  get(ptr: Ptr): number {
    const i = (ptr + this.offset) >>> 3;
    if (i >= this.views.f64.length) this.views.grown(i, 3);
    return this.views.f64[i];
  }
  set(ptr: Ptr, value: number): void {
    const i = (ptr + this.offset) >>> 3;
    if (i >= this.views.f64.length) this.views.grown(i, 3);
    this.views.f64[i] = value;
  }
}

const FIELD_CLASSES: Record<FieldType, new (views: FixedViews, offset: number) => Field> = {
  u8: U8Field,
  i8: I8Field,
  u16: U16Field,
  i16: I16Field,
  u32: U32Field,
  i32: I32Field,
  f32: F32Field,
  f64: F64Field,
};

function makeField(type: FieldType, views: FixedViews, offset: number): Field {
  return new FIELD_CLASSES[type](views, offset);
}
