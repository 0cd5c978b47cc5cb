// A bounded FIFO of records waiting for one export destination: O(1) push, drops counted.

/**
 * A ring buffer of at most `capacity` items. push() never blocks and never grows memory: when
 * full, the new item is dropped and counted (the queue keeps the oldest, so what reaches the
 * destination is a gap-free prefix in time, and the gap is where the drop count says).
 * The sender reads a batch with peek() and removes it with discard() once it was delivered,
 * so a failed send loses nothing.
 */
export class ExportQueue<T> {
  readonly capacity: number;
  /** Items dropped because the queue was full. */
  dropped = 0;
  /** Items ever accepted by push(). */
  accepted = 0;
  readonly #items: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Export queue capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  /** Items waiting. */
  get length(): number {
    return this.#length;
  }

  /** Appends `item`; returns false (and counts a drop) when the queue is full. */
  push(item: T): boolean {
    if (this.#length === this.capacity) {
      this.dropped++;
      return false;
    }
    let at = this.#head + this.#length;
    if (at >= this.capacity) at -= this.capacity;
    this.#items[at] = item;
    this.#length++;
    this.accepted++;
    return true;
  }

  /** The oldest `max` items (or fewer), oldest first, without removing them. */
  peek(max: number): T[] {
    const n = Math.min(max, this.#length);
    const out: T[] = new Array(n);
    let at = this.#head;
    for (let i = 0; i < n; i++) {
      out[i] = this.#items[at] as T;
      if (++at === this.capacity) at = 0;
    }
    return out;
  }

  /** Removes the oldest `count` items (those a peek() returned and the destination took). */
  discard(count: number): void {
    const n = Math.min(count, this.#length);
    let at = this.#head;
    for (let i = 0; i < n; i++) {
      this.#items[at] = undefined; // let the record be collected
      if (++at === this.capacity) at = 0;
    }
    this.#head = at;
    this.#length -= n;
  }
}
