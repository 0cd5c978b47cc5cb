// A bounded table of flow records: a FlowStore, a HashIndex over its keys and a free list.
//
// Used for the active flows and for single-packet flows (embryo_table.ts wraps one). Lookups
// hash the key once and compare it with the record's own key words, so a hit costs the index
// entry and the record's first cache line. Records are ended by a sweep of the whole table
// once per second of packet time (flow_engine.ts), not by per-packet recency lists: the lists
// cost two more cache lines per packet and eight bytes per flow, the sweep about 2 ns per flow
// per second. When the table is full, the victim is the least recently seen of a few flows
// sampled at random (as Redis's approximated LRU), which in practice is among the oldest.

import { hashKey, KEY_WORDS, sameKey } from "./flow_key.ts";
import { ACTIVE_WORDS, B_REASON, F_LAST, FlowStore } from "./flow_store.ts";
import { HashIndex, hashIndexBytesPerRecord, MAX_DIB, rebuildIndexOf } from "./hash_index.ts";
import { timeoutClassOf } from "./record_ops.ts";

/** B_REASON of a record in use. */
export const IN_USE = 255;
/** Records sampled to pick an eviction victim. */
const EVICTION_SAMPLES = 8;

/** Approximate bytes one flow costs in a table of active records, index included. */
export function flowTableBytesPerFlow(): number {
  return FlowStore.bytesPerRecord(ACTIVE_WORDS) + hashIndexBytesPerRecord();
}

/**
 * Records of up to `maxFlows` flows, found by key. The index may be shared with another table
 * (the engine shares one between full flows and one-packet flows, so a packet costs one probe):
 * this table's entries are its slots plus `indexBase`.
 */
export class FlowTable {
  readonly maxFlows: number;
  readonly store: FlowStore;
  /** Flows in the table. */
  count = 0;
  /** Added to this table's slots in the index. */
  readonly indexBase: number;
  readonly #index: HashIndex;
  /** Re-indexes everything the (shared) index holds; set by the index's owner. */
  rebuildIndex: (records: number) => void;
  readonly #scratch = new Uint32Array(KEY_WORDS);
  #freeHead = -1;
  /** Slots at and above this were never used: taken in order once no freed slot is left. */
  #highWater = 0;
  /** xorshift32 state for eviction sampling. */
  #random = 0x9e3779b9;

  constructor(maxFlows: number, index?: HashIndex, indexBase = 0) {
    if (!Number.isInteger(maxFlows) || maxFlows < 1) {
      throw new RangeError(`maxFlows must be a positive integer, got ${maxFlows}`);
    }
    this.maxFlows = maxFlows;
    this.store = new FlowStore(maxFlows, ACTIVE_WORDS);
    this.#index = index ?? new HashIndex(maxFlows, 1024);
    this.indexBase = indexBase;
    this.rebuildIndex = (records) => rebuildIndexOf(this.#index, [this], records);
  }

  /** Slots ever used: every flow sits below this (the scan bound for queries and sweeps). */
  get slotsUsed(): number {
    return this.#highWater;
  }

  /** True when no flow can be added without removing one. */
  get full(): boolean {
    return this.count >= this.maxFlows;
  }

  /** True when slot `s` holds a flow. */
  inUse(s: number): boolean {
    return s < this.#highWater && this.store.u8[s * ACTIVE_WORDS * 4 + B_REASON] === IN_USE;
  }

  /** Slot of the flow with `key` (whose hash is `h`), or -1. */
  find(key: Uint32Array, h: number): number {
    const u32 = this.store.u32;
    const index = this.#index;
    const base = this.indexBase;
    for (let e = index.first(h); e >= 0; e = index.next()) {
      const s = e - base;
      if (s < 0 || s >= this.maxFlows) continue;
      const r = s * ACTIVE_WORDS;
      if (sameKey(u32, r, key)) return s;
    }
    return -1;
  }

  /**
   * Adds a flow with `key` (hash `h`) and returns its slot, with the key written and the rest of
   * the record left for the caller to set. The caller makes room first when `full`.
   */
  insert(key: Uint32Array, h: number): number {
    if (this.count >= this.maxFlows) throw new RangeError(`Flow table is full (${this.maxFlows})`);
    const index = this.#index;
    if (index.needsGrowth) this.rebuildIndex(index.grownRecords());
    let s = this.#freeHead;
    if (s >= 0) this.#freeHead = this.store.u32[s * ACTIVE_WORDS + 1] | 0;
    else s = this.#highWater++;
    const u32 = this.store.u32;
    const r = s * ACTIVE_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) u32[r + w] = key[w];
    this.store.u8[r * 4 + B_REASON] = IN_USE;
    this.count++;
    // An overflowing insert leaves the index to be rebuilt, which takes this flow in too.
    if (!index.insert(h, s + this.indexBase)) this.rebuildIndex(index.grownRecords());
    return s;
  }

  /** Removes the flow in slot `s` and frees the slot. */
  remove(s: number): void {
    this.#index.remove(this.slotHash(s), s + this.indexBase);
    const r = s * ACTIVE_WORDS;
    this.store.u8[r * 4 + B_REASON] = 0;
    this.store.u32[r + 1] = this.#freeHead; // free list through the first address word
    this.#freeHead = s;
    this.count--;
  }

  /**
   * Calls `end(s)` for each flow idle at `nowSec` past its class's timeout (`timeouts`, by
   * record_ops.ts timeoutClassOf()), then removes it. Every record is visited (once a second):
   * the in-use byte and last time are read in place, the class only past the shortest timeout.
   */
  sweepIdle(nowSec: number, timeouts: Float64Array, end: (s: number) => void): void {
    const store = this.store;
    const f64 = store.f64;
    const u8 = store.u8;
    let shortest = Infinity;
    for (const t of timeouts) shortest = Math.min(shortest, t);
    for (let s = 0, used = this.#highWater; s < used; s++) {
      const r = s * ACTIVE_WORDS;
      if (u8[r * 4 + B_REASON] !== IN_USE) continue;
      const idle = nowSec - f64[(r >> 1) + F_LAST];
      if (idle > shortest && idle > timeouts[timeoutClassOf(store, s)]) {
        end(s);
        this.remove(s);
      }
    }
  }

  /** The key hash of the flow in slot `s`. */
  slotHash(s: number): number {
    const key = this.#scratch;
    const u32 = this.store.u32;
    const r = s * ACTIVE_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) key[w] = u32[r + w];
    return hashKey(key);
  }

  /**
   * A flow to evict: the least recently seen of EVICTION_SAMPLES flows sampled at random, or -1
   * when the table is empty.
   */
  victim(): number {
    if (this.count === 0) return -1;
    const used = this.#highWater;
    const f64 = this.store.f64;
    let best = -1;
    let bestLast = Infinity;
    let x = this.#random;
    for (let k = 0, tries = 0; k < EVICTION_SAMPLES && tries < 64; tries++) {
      // xorshift32: a cheap, well-spread sequence of slot numbers.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const s = (x >>> 0) % used;
      if (!this.inUse(s)) continue;
      k++;
      const last = f64[((s * ACTIVE_WORDS) >> 1) + F_LAST];
      if (last < bestLast) {
        best = s;
        bestLast = last;
      }
    }
    this.#random = x;
    if (best >= 0) return best;
    for (let s = 0; s < used; s++) if (this.inUse(s)) return s;
    return -1;
  }
}

/**
 * The flow with `key` (hash `h`) in an index `flows` and `embryos` share (flows at entries
 * [0, maxFlows), embryos after): a full flow's slot, an embryo's slot + maxFlows, or -1. One
 * probe finds a packet's flow whichever table holds it.
 */
export function findFlowOrEmbryo(
  index: HashIndex,
  flows: FlowTable,
  embryos: { store: FlowStore },
  key: Uint32Array,
  h: number,
): number {
  const maxFlows = flows.maxFlows;
  const t32 = flows.store.u32;
  const e32 = embryos.store.u32;
  const embryoWords = embryos.store.stride;
  // The index's probe (HashIndex.first()/next()) walked here in locals: this runs once a
  // packet, and the cursor fields cost more than the probe itself when the flows fit in cache.
  const entries = index.entries;
  const size = index.size;
  const bits = index.slotBits;
  const slotMask = index.slotMask;
  const tagMask = index.tagMask;
  const tagShift = index.tagShift;
  let pos = Math.floor((h >>> 0) * size / 4294967296); // HashIndex's home bucket
  for (let dib = 0;; dib++) {
    const e = entries[pos];
    const theirs = (e >>> bits) & MAX_DIB;
    // An empty bucket, or an entry nearer its home than we are from ours: not present.
    if (e === 0 || theirs < dib) return -1;
    // Same distance at the same position means the same home bucket; then the tag.
    if (theirs === dib && ((e ^ (h << tagShift)) & tagMask) === 0) {
      const x = (e & slotMask) - 1;
      const u32 = x < maxFlows ? t32 : e32;
      const r = x < maxFlows ? x * ACTIVE_WORDS : (x - maxFlows) * embryoWords;
      if (sameKey(u32, r, key)) return x;
    }
    pos = pos + 1 === size ? 0 : pos + 1;
  }
}
