// Ended flows: a ring of flow records in the order they ended, capped by count and by age.

import {
  B_BITS,
  B_REASON,
  F_LAST,
  FlowStore,
  H_INSPECT,
  HISTORY_WORDS,
  W_NAME,
} from "./flow_store.ts";
import { FlowBit } from "./tcp_state.ts";
import type { NameTable } from "./identity/name_table.ts";

/**
 * A ring of ended flow records. It keeps at most `maxRecords` (the oldest is dropped and counted
 * when a new one arrives) and, through prune(), only records whose last packet is within
 * `retentionSec` of the time given.
 *
 * Records enter in the order flows end, which is close to, not exactly, the order of their last
 * packet (an idle flow ends a timeout after its last packet, an evicted one at once). prune()
 * stops at the first record that is still recent, so a record may outlive the retention by at
 * most the longest idle timeout.
 *
 * The store is allocated at `maxRecords` at once: pages are committed as records are first
 * written, so memory follows use without growth copies.
 */
export class FlowHistory {
  readonly maxRecords: number;
  readonly retentionSec: number;
  /** The records, in the ended-record layout of flow_store.ts. */
  readonly store: FlowStore;
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

  /** Names records refer to: each record holds its name while it is kept. */
  readonly #names: NameTable | undefined;

  constructor(maxRecords: number, retentionSec: number, names?: NameTable) {
    this.#names = names;
    if (!Number.isInteger(maxRecords) || maxRecords < 0) {
      throw new RangeError(`maxRecords must be a whole number, got ${maxRecords}`);
    }
    if (!(retentionSec > 0)) {
      throw new RangeError(`retentionSec must be positive, got ${retentionSec}`);
    }
    this.maxRecords = maxRecords;
    this.retentionSec = retentionSec;
    this.store = new FlowStore(maxRecords, HISTORY_WORDS);
  }

  /** Bytes per record held. */
  static get bytesPerRecord(): number {
    return FlowStore.bytesPerRecord(HISTORY_WORDS);
  }

  /** Copies slot `slot` of `source` in as the newest record, ended for `reason` (EndReason). */
  push(source: FlowStore, slot: number, reason: number): void {
    if (this.maxRecords === 0) {
      this.dropped++;
      return;
    }
    const store = this.store;
    let at: number;
    if (this.count === store.capacity) {
      at = this.head;
      this.#names?.release(store.u32[at * HISTORY_WORDS + W_NAME]);
      this.head = this.head + 1 === store.capacity ? 0 : this.head + 1;
      this.dropped++;
    } else {
      at = this.head + this.count;
      if (at >= store.capacity) at -= store.capacity;
      this.count++;
    }
    store.copyFrom(source, slot, at);
    store.u8[at * HISTORY_WORDS * 4 + B_REASON] = reason;
    // Flags of an active record that mean nothing once it has ended.
    store.u8[at * HISTORY_WORDS * 4 + B_BITS] &= ~FlowBit.HostsDone;
    store.u16[at * HISTORY_WORDS * 2 + H_INSPECT] = 0;
    this.#names?.retain(store.u32[at * HISTORY_WORDS + W_NAME]);
    this.added++;
  }

  /** Drops records whose last packet is older than `nowSec - retentionSec`. */
  prune(nowSec: number): void {
    const cutoff = nowSec - this.retentionSec;
    const f64 = this.store.f64;
    const capacity = this.store.capacity;
    while (this.count > 0 && f64[this.head * (HISTORY_WORDS >> 1) + F_LAST] < cutoff) {
      this.#names?.release(this.store.u32[this.head * HISTORY_WORDS + W_NAME]);
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
      this.count--;
      this.expired++;
    }
  }

  /** The earliest last-packet time of the records held, or null (a scan: about 2 ns each). */
  oldestLast(): number | null {
    if (this.count === 0) return null;
    const f64 = this.store.f64;
    const half = HISTORY_WORDS >> 1;
    let min = Infinity;
    for (let n = 0; n < this.count; n++) {
      const last = f64[this.slotAt(n) * half + F_LAST];
      if (last < min) min = last;
    }
    return min;
  }

  /** Store slot of the `n`th oldest record held (0 = oldest). */
  slotAt(n: number): number {
    const at = this.head + n;
    return at >= this.store.capacity ? at - this.store.capacity : at;
  }

  /** Drops every record. */
  clear(): void {
    for (let n = 0; n < this.count; n++) {
      this.#names?.release(this.store.u32[this.slotAt(n) * HISTORY_WORDS + W_NAME]);
    }
    this.head = 0;
    this.count = 0;
  }
}
