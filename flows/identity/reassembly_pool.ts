// A fixed pool of small reassembly buffers for the first bytes of a flow's client stream (TCP
// by sequence number, QUIC's crypto stream by offset). Only flows whose handshake spans
// packets hold one, and only until it is read, so a few hundred buffers serve a busy link;
// when all are taken, acquire() fails and counts a drop, and the caller reads packet by packet.

/** A pool of `count` buffers of `size` bytes, each with a byte mask of what has arrived. */
export class ReassemblyPool {
  readonly count: number;
  readonly size: number;
  /** acquire() calls that found no free buffer. */
  drops = 0;
  #data: Uint8Array;
  #have: Uint8Array;
  #contiguous: Int32Array;
  #free: Int32Array;
  #freeTop: number;
  #inUse: Uint8Array;

  constructor(count: number, size: number) {
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(size) || size < 64) {
      throw new RangeError(`ReassemblyPool needs count >= 1 and size >= 64, got ${count}, ${size}`);
    }
    this.count = count;
    this.size = size;
    this.#data = new Uint8Array(count * size);
    this.#have = new Uint8Array(count * size);
    this.#contiguous = new Int32Array(count);
    this.#free = new Int32Array(count);
    this.#inUse = new Uint8Array(count);
    for (let i = 0; i < count; i++) this.#free[i] = count - 1 - i;
    this.#freeTop = count;
  }

  /** Bytes the pool's arrays take: data and arrival mask per buffer, and its bookkeeping. */
  get allocatedBytes(): number {
    return this.count * (this.size * 2 + 4 + 4 + 1);
  }

  /** Buffers in use. */
  get used(): number {
    return this.count - this.#freeTop;
  }

  /** A cleared buffer's index, or -1 (counted in `drops`) when none is free. */
  acquire(): number {
    if (this.#freeTop === 0) {
      this.drops++;
      return -1;
    }
    const i = this.#free[--this.#freeTop];
    this.#inUse[i] = 1;
    this.#have.fill(0, i * this.size, (i + 1) * this.size);
    this.#contiguous[i] = 0;
    return i;
  }

  /** Returns buffer `i` to the pool (a second release is ignored). */
  release(i: number): void {
    if (i < 0 || i >= this.count || this.#inUse[i] === 0) return;
    this.#inUse[i] = 0;
    this.#free[this.#freeTop++] = i;
  }

  /**
   * Stores `src[from, to)` at stream offset `at` of buffer `i`, clipped to the buffer, and
   * returns the length of the stream prefix that has fully arrived.
   */
  write(i: number, at: number, src: Uint8Array, from: number, to: number): number {
    const base = i * this.size;
    let start = at;
    let s = from;
    if (start < 0) {
      s -= start;
      start = 0;
    }
    const stop = Math.min(at + (to - from), this.size);
    if (stop > start && s < to) {
      this.#data.set(src.subarray(s, s + (stop - start)), base + start);
      this.#have.fill(1, base + start, base + stop);
    }
    let c = this.#contiguous[i];
    while (c < this.size && this.#have[base + c] === 1) c++;
    this.#contiguous[i] = c;
    return c;
  }

  /**
   * Moves what buffer `i` holds `by` bytes later (the stream turned out to start earlier);
   * bytes pushed past the end are lost. Returns the new contiguous length (0 until the gap fills).
   */
  shift(i: number, by: number): number {
    const base = i * this.size;
    if (by <= 0) return this.#contiguous[i];
    const keep = Math.max(0, this.size - by);
    this.#data.copyWithin(base + by, base, base + keep);
    this.#have.copyWithin(base + by, base, base + keep);
    this.#have.fill(0, base, base + Math.min(by, this.size));
    this.#contiguous[i] = 0;
    return 0;
  }

  /** Bytes of the stream prefix that has fully arrived in buffer `i`. */
  contiguous(i: number): number {
    return this.#contiguous[i];
  }

  /** The backing bytes (read buffer `i` at `offsetOf(i)`). */
  get bytes(): Uint8Array {
    return this.#data;
  }

  /** Where buffer `i` starts in `bytes`. */
  offsetOf(i: number): number {
    return i * this.size;
  }
}
