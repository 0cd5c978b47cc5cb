// Flows that have seen one packet, kept apart in a fixed ring until a second packet comes.
//
// Most traffic of a SYN flood, a scan or backscatter is one packet per flow. Giving each of those
// a full record means that at line rate the flow table turns over every second and floods the
// history with flows nobody will look at. Here a flow's first packet (when it carries nothing
// to inspect: TCP without payload, ICMP) goes into a ring in arrival order. A second packet of
// the flow moves it into the flow table with its first packet's counts (promotion); a flow that
// times out with one packet is ended like any other (S0, OTH); and when the ring is full the
// oldest entry is folded into a per-destination aggregate record instead (see flow_engine.ts),
// so the flood is summarised by design and counted, not dropped at random.
//
// Records use the ended-record layout (flow_store.ts: 104 bytes, no per-second fields), so
// queries read them like any other record.

/** Words per entry: the ended-record layout. */
export const EMBRYO_WORDS = HISTORY_WORDS;

import { hashKey, KEY_WORDS, sameKey } from "./flow_key.ts";
import { B_REASON, F_FIRST, FlowStore, HISTORY_WORDS } from "./flow_store.ts";
import { HashIndex, rebuildIndexOf } from "./hash_index.ts";

/** B_REASON of a live entry (as flow_table.ts's IN_USE). */
const LIVE = 255;

/** A ring of single-packet flows with a key index. */
export class EmbryoTable {
  readonly capacity: number;
  readonly store: FlowStore;
  /** Entries alive. */
  count = 0;
  /** Ring position the next entry is written at: the oldest position. */
  #tail = 0;
  /** Entries ever written (positions below min(written, capacity) have been used). */
  #written = 0;
  /** Added to this table's slots in the (possibly shared) index. */
  readonly indexBase: number;
  readonly #index: HashIndex;
  readonly #scratch = new Uint32Array(KEY_WORDS);
  /** Re-indexes everything the (shared) index holds; set by the index's owner. */
  rebuildIndex: (records: number) => void;

  constructor(capacity: number, index?: HashIndex, indexBase = 0) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Embryo capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.store = new FlowStore(capacity, EMBRYO_WORDS);
    this.#index = index ?? new HashIndex(capacity, 1024);
    this.indexBase = indexBase;
    this.rebuildIndex = (records) => rebuildIndexOf(this.#index, [this], records);
  }

  /** True when position `s` holds a live entry (rebuildIndexOf's name for it). */
  inUse(s: number): boolean {
    return this.alive(s);
  }

  /** The key hash of the entry at `s`. */
  slotHash(s: number): number {
    const key = this.#scratch;
    const u32 = this.store.u32;
    const r = s * EMBRYO_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) key[w] = u32[r + w];
    return hashKey(key);
  }

  /** Entries ever written; entry w sits at position w % capacity while it lives. */
  get written(): number {
    return this.#written;
  }

  /** Positions ever written: every live entry sits below this. */
  get slotsUsed(): number {
    return Math.min(this.#written, this.capacity);
  }

  /** True when position `s` holds a live entry. */
  alive(s: number): boolean {
    return s < this.slotsUsed && this.store.u8[s * EMBRYO_WORDS * 4 + B_REASON] === LIVE;
  }

  /** Slot of the live entry with `key` (hash `h`), or -1. */
  find(key: Uint32Array, h: number): number {
    const u32 = this.store.u32;
    const index = this.#index;
    const base = this.indexBase;
    for (let e = index.first(h); e >= 0; e = index.next()) {
      const s = e - base;
      if (s < 0 || s >= this.capacity) continue;
      const r = s * EMBRYO_WORDS;
      if (sameKey(u32, r, key)) return s;
    }
    return -1;
  }

  /**
   * The slot the next entry goes to. When it holds a live entry (the ring is full and that is
   * the oldest), the caller must fold it elsewhere and remove() it before insert().
   */
  nextSlot(): number {
    return this.#tail;
  }

  /** Writes `key` (hash `h`) at nextSlot() and returns that slot; the caller fills the rest. */
  insert(key: Uint32Array, h: number): number {
    const s = this.#tail;
    const u32 = this.store.u32;
    const r = s * EMBRYO_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) u32[r + w] = key[w];
    this.store.u8[r * 4 + B_REASON] = LIVE;
    this.#tail = s + 1 === this.capacity ? 0 : s + 1;
    this.#written++;
    this.count++;
    const index = this.#index;
    if (index.needsGrowth) this.rebuildIndex(index.grownRecords());
    else if (!index.insert(h, s + this.indexBase)) this.rebuildIndex(index.grownRecords());
    return s;
  }

  /** Removes the live entry at `s` (promoted, timed out or folded). */
  remove(s: number): void {
    this.#index.remove(this.slotHash(s), s + this.indexBase);
    this.store.u8[s * EMBRYO_WORDS * 4 + B_REASON] = 0;
    this.count--;
  }

  /** First-packet time of the entry at `s`. */
  firstTs(s: number): number {
    return this.store.f64[((s * EMBRYO_WORDS) >> 1) + F_FIRST];
  }
}
