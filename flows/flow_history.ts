// Ended flows: a ring of flow records in the order they ended, capped by count and by age.

import { FLOW_STORE_BYTES_PER_SLOT, FlowStore } from "./flow_store.ts";

/**
 * A ring of ended flow records. It keeps at most `maxRecords` (the oldest is dropped and counted
 * when a new one arrives) and, through prune(), only records whose last packet is within
 * `retentionSec` of the time given. Storage grows by doubling up to `maxRecords`.
 *
 * Records enter in the order flows end, which is close to, not exactly, the order of their last
 * packet (an idle flow ends a timeout after its last packet, an evicted one at once). prune()
 * stops at the first record that is still recent, so a record may outlive the retention by at
 * most the longest idle timeout.
 *
 * The store is allocated at `maxRecords` at once by default (pages are committed as records are
 * first written); a smaller `initialCapacity` makes it grow by doubling instead.
 */
export class FlowHistory {
  readonly maxRecords: number;
  readonly retentionSec: number;
  /** The records; replaced by a larger store when the ring grows. */
  store: FlowStore;
  /** Ring position of the oldest record. */
  head = 0;
  /** Records held. */
  count = 0;
  /** Records dropped because the ring was full. */
  dropped = 0;
  /** Records dropped because they were older than the retention. */
  expired = 0;
  /** Records ever added. */
  added = 0;

  constructor(maxRecords: number, retentionSec: number, initialCapacity = maxRecords) {
    if (!Number.isInteger(maxRecords) || maxRecords < 0) {
      throw new RangeError(`maxRecords must be a whole number, got ${maxRecords}`);
    }
    if (!(retentionSec > 0)) {
      throw new RangeError(`retentionSec must be positive, got ${retentionSec}`);
    }
    this.maxRecords = maxRecords;
    this.retentionSec = retentionSec;
    this.store = new FlowStore(Math.min(maxRecords, initialCapacity));
  }

  /** Bytes per record held. */
  static get bytesPerRecord(): number {
    return FLOW_STORE_BYTES_PER_SLOT;
  }

  /** Copies slot `slot` of `source` in as the newest record. */
  push(source: FlowStore, slot: number): void {
    if (this.maxRecords === 0) {
      this.dropped++;
      return;
    }
    const store = this.store;
    if (this.count === store.capacity && store.capacity < this.maxRecords) this.grow();
    let at: number;
    if (this.count === store.capacity) {
      at = this.head;
      this.head = this.head + 1 === store.capacity ? 0 : this.head + 1;
      this.dropped++;
    } else {
      at = this.head + this.count;
      if (at >= store.capacity) at -= store.capacity;
      this.count++;
    }
    store.copyFrom(source, slot, at);
    this.added++;
  }

  /** Drops records whose last packet is older than `nowSec - retentionSec`. */
  prune(nowSec: number): void {
    const cutoff = nowSec - this.retentionSec;
    const last = this.store.last;
    const capacity = this.store.capacity;
    while (this.count > 0 && last[this.head] < cutoff) {
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
      this.count--;
      this.expired++;
    }
  }

  /** Store slot of the `n`th oldest record held (0 = oldest). */
  slotAt(n: number): number {
    const at = this.head + n;
    return at >= this.store.capacity ? at - this.store.capacity : at;
  }

  /** Drops every record. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** Doubles the ring (up to maxRecords), laying the records out from slot 0. */
  private grow(): void {
    const old = this.store;
    const capacity = Math.min(this.maxRecords, Math.max(16, old.capacity * 2));
    const fresh = new FlowStore(capacity);
    for (let n = 0; n < this.count; n++) fresh.copyFrom(old, this.slotAt(n), n);
    this.store = fresh;
    this.head = 0;
  }
}
