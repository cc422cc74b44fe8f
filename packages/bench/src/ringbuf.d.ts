/** The part of ringbuf.js (0.3.x ships no types) that the producer-consumer workload uses. */
declare module "ringbuf.js" {
  type Elements = Uint8Array | Uint32Array;
  export class RingBuffer {
    static getStorageForCapacity(
      capacity: number,
      type: Uint8ArrayConstructor | Uint32ArrayConstructor,
    ): SharedArrayBuffer;
    constructor(sab: SharedArrayBuffer, type: Uint8ArrayConstructor | Uint32ArrayConstructor);
    /** Pushes up to `length` elements from `elements[offset…]`; returns how many it pushed. */
    push(elements: Elements, length?: number, offset?: number): number;
    /** Pops up to `length` elements into `elements[offset…]`; returns how many it popped. */
    pop(elements: Elements, length?: number, offset?: number): number;
  }
}
