// The active flows: a FlowStore, an open-addressed hash index over it and recency lists.
//
// Index: an Int32Array of slot + 1 (0 = empty) with the key hash's top bits above it as a tag,
// linear probing, kept at most 3/4 full, with backward-shift deletion so no tombstones build
// up. A probe whose tag differs is passed over without reading the flow's key (with the default
// 1M flows the tag has 11 bits, so 1 in 2,048 other flows gets that far). Hashes are not kept
// per slot (4 bytes a flow): removal and growth, which need a slot's home bucket, hash its key
// again from the store. The index is sized
// to the flows held, not to the table's cap: with a few thousand flows it stays in cache (an
// index sized for 1M flows is 8 MiB, and every lookup in it was a cache miss).
//
// Recency: each flow sits in one doubly linked list per timeout class (TCP open, TCP closed,
// UDP, ICMP, other), moved to the tail on every packet. A list is therefore ordered by last
// packet seen, so expiring idle flows only looks at list heads, and the least recently seen
// flow overall is the oldest of the five heads. Everything is O(1) per packet.

import { hashKey, KEY_WORDS } from "./flow_key.ts";
import { FLOW_STORE_BYTES_PER_SLOT, FlowStore } from "./flow_store.ts";

/** Timeout classes, one recency list each. */
export const FlowClass = { TcpOpen: 0, TcpClosed: 1, Udp: 2, Icmp: 3, Other: 4 } as const;
/** Number of FlowClass values. */
export const FLOW_CLASSES = 5;
/** `cls` of a free slot. */
export const FREE_SLOT = 255;
const FREE = FREE_SLOT;

/** Index entries for `capacity` slots: a power of two, at least 4/3 of it. */
function indexSize(capacity: number): number {
  let size = 16;
  while (size * 3 < capacity * 4) size *= 2;
  return size;
}

/**
 * Approximate bytes one flow costs at `capacity` slots: record fields, per-slot table fields
 * (prev, next, pending, class) and the index entries per slot.
 */
export function flowTableBytesPerFlow(capacity: number): number {
  return FLOW_STORE_BYTES_PER_SLOT + 4 + 4 + 2 + 1 + (indexSize(capacity) * 4) / capacity;
}

/**
 * Active flows, bounded by `maxFlows`. By default every array is allocated at its full size at
 * once: the OS commits pages only when slots are first written, so RSS follows use, and there
 * is no growth copy (which leaves freed blocks behind in the allocator, about 20 bytes a flow
 * measured). With a smaller `initialCapacity` the arrays grow by doubling up to `maxFlows`.
 */
export class FlowTable {
  readonly maxFlows: number;
  readonly store: FlowStore;
  /** Flows in the table. */
  count = 0;
  prev = new Int32Array(0);
  next = new Int32Array(0);
  /**
   * The flow engine's per-second accounting: 1 + the slot's entry in the engine's pending list
   * (valid only while that entry names the slot), or 0.
   */
  pending = new Uint16Array(0);
  /** FlowClass of each slot below slotsUsed, or 255 for a free one. */
  cls = new Uint8Array(0);
  /** Heads and tails of the recency lists (-1 when empty); head = least recently seen. */
  readonly heads = new Int32Array(FLOW_CLASSES).fill(-1);
  readonly tails = new Int32Array(FLOW_CLASSES).fill(-1);
  /**
   * Allocated once for the cap (pages are committed only when touched); the first mask + 1
   * entries are in use. Growing rehashes in place, so it leaves no freed arrays behind.
   */
  private readonly index: Int32Array;
  private mask = 15;
  /** Bits of an index entry that hold slot + 1; the tag sits above them. */
  private readonly slotBits: number;
  private readonly slotMask: number;
  private readonly scratch = new Uint32Array(KEY_WORDS);
  private freeHead = -1;
  /** Slots at and above this were never used: taken in order before growing. */
  private highWater = 0;

  constructor(maxFlows: number, initialCapacity = maxFlows) {
    if (!Number.isInteger(maxFlows) || maxFlows < 1) {
      throw new RangeError(`maxFlows must be a positive integer, got ${maxFlows}`);
    }
    this.maxFlows = maxFlows;
    this.store = new FlowStore(0);
    this.index = new Int32Array(indexSize(maxFlows));
    this.slotBits = Math.min(31, Math.ceil(Math.log2(maxFlows + 1)));
    this.slotMask = 2 ** this.slotBits - 1;
    this.grow(Math.min(maxFlows, initialCapacity));
  }

  /** Slots allocated so far. */
  get capacity(): number {
    return this.store.capacity;
  }

  /** The key hash of the flow in slot `s`, as hashKey() gave it when the flow was inserted. */
  private slotHash(s: number): number {
    const key = this.scratch;
    const store = this.store;
    key[0] = store.meta[s];
    const a = s << 3;
    for (let w = 0; w < 8; w++) key[1 + w] = store.addr[a + w];
    key[9] = store.ports[s];
    return hashKey(key);
  }

  /** The index entry of slot `s` for key hash `h`: the hash's tag, then s + 1. */
  private entry(h: number, s: number): number {
    return this.tagOf(h) | (s + 1);
  }

  /** The top bits of key hash `h`, where an index entry keeps them (above slot + 1). */
  private tagOf(h: number): number {
    const tagBits = 31 - this.slotBits;
    return tagBits === 0 ? 0 : (h >>> (32 - tagBits)) << this.slotBits;
  }

  /** Slots ever used: every flow sits below this (the scan bound for queries). */
  get slotsUsed(): number {
    return this.highWater;
  }

  /** True when no flow can be added without evicting one. */
  get full(): boolean {
    return this.count >= this.maxFlows;
  }

  /** Slot of the flow with `key` (whose hash is `h`), or -1. */
  find(key: Uint32Array, h: number): number {
    const index = this.index;
    const mask = this.mask;
    const slotMask = this.slotMask;
    const tag = this.tagOf(h);
    const { meta, addr, ports } = this.store;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const entry = index[i];
      if (entry === 0) return -1;
      if ((entry & ~slotMask) !== tag) continue;
      const s = (entry & slotMask) - 1;
      if (meta[s] !== key[0] || ports[s] !== key[9]) continue;
      const a = s << 3;
      let same = true;
      for (let w = 0; w < 8; w++) {
        if (addr[a + w] !== key[1 + w]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
  }

  /**
   * Adds a flow with `key` in class `cls` and returns its slot; only the key fields are set.
   * The caller must make room first when `full`.
   */
  insert(key: Uint32Array, h: number, cls: number): number {
    // Keep the index at most 3/4 full (the bound indexSize() gives for count + 1 flows).
    if ((this.count + 1) * 4 > (this.mask + 1) * 3 && this.mask + 1 < this.index.length) {
      this.rebuildIndex((this.mask + 1) * 2);
    }
    let s = this.freeHead;
    if (s >= 0) {
      this.freeHead = this.next[s];
    } else {
      if (this.highWater === this.capacity) {
        if (this.capacity >= this.maxFlows) {
          throw new RangeError(`Flow table is full (${this.maxFlows} flows)`);
        }
        this.grow(Math.min(this.maxFlows, this.capacity * 2));
      }
      s = this.highWater++;
    }
    const store = this.store;
    store.meta[s] = key[0];
    const a = s << 3;
    for (let w = 0; w < 8; w++) store.addr[a + w] = key[1 + w];
    store.ports[s] = key[9];
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = this.entry(h, s);
    this.cls[s] = cls;
    this.append(s, cls);
    this.count++;
    return s;
  }

  /** Removes the flow in slot `s` from the index and its list, and frees the slot. */
  remove(s: number): void {
    const index = this.index;
    const mask = this.mask;
    const slotMask = this.slotMask;
    let p = this.slotHash(s) & mask;
    while ((index[p] & slotMask) !== s + 1) p = (p + 1) & mask;
    // Backward shift: pull later entries of the probe run into the hole when their home
    // bucket does not lie cyclically in (hole, their position].
    for (let j = (p + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.slotHash((index[j] & slotMask) - 1) & mask;
      if (((j - home) & mask) >= ((j - p) & mask)) {
        index[p] = index[j];
        p = j;
      }
    }
    index[p] = 0;
    this.unlink(s);
    this.cls[s] = FREE;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  /** Marks slot `s` as just seen, in class `cls` (moving it between lists if that changed). */
  touch(s: number, cls: number): void {
    if (this.tails[this.cls[s]] === s && this.cls[s] === cls) return;
    this.unlink(s);
    this.cls[s] = cls;
    this.append(s, cls);
  }

  /** True when slot `s` holds a flow. */
  inUse(s: number): boolean {
    return s < this.highWater && this.cls[s] !== FREE;
  }

  /** The least recently seen flow (by last packet time among the list heads), or -1. */
  leastRecent(): number {
    let best = -1;
    let bestLast = Infinity;
    const last = this.store.last;
    for (let c = 0; c < FLOW_CLASSES; c++) {
      const h = this.heads[c];
      if (h >= 0 && last[h] < bestLast) {
        best = h;
        bestLast = last[h];
      }
    }
    return best;
  }

  private append(s: number, cls: number): void {
    const tail = this.tails[cls];
    this.prev[s] = tail;
    this.next[s] = -1;
    if (tail >= 0) this.next[tail] = s;
    else this.heads[cls] = s;
    this.tails[cls] = s;
  }

  private unlink(s: number): void {
    const cls = this.cls[s];
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.heads[cls] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[cls] = p;
  }

  /** Grows every per-slot array to `capacity` (the index grows with the count, apart). */
  private grow(capacity: number): void {
    const old = this.capacity;
    if (capacity <= old) return;
    this.store.resize(capacity);
    const prev = new Int32Array(capacity);
    prev.set(this.prev);
    const next = new Int32Array(capacity);
    next.set(this.next);
    const pending = new Uint16Array(capacity);
    pending.set(this.pending);
    // Slots at and above highWater are never read, so they need no FREE mark: leaving them
    // unwritten keeps their pages uncommitted until used.
    const cls = new Uint8Array(capacity);
    cls.set(this.cls);
    this.prev = prev;
    this.next = next;
    this.pending = pending;
    this.cls = cls;
  }

  /**
   * Rehashes every flow into a new index of `size` entries (a power of two). On the packet
   * path, but once per doubling: amortised, under one probe per insert.
   */
  private rebuildIndex(size: number): void {
    const index = this.index;
    index.fill(0, 0, size);
    const mask = size - 1;
    const cls = this.cls;
    for (let s = 0; s < this.highWater; s++) {
      if (cls[s] === FREE) continue;
      const h = this.slotHash(s);
      let i = h & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = this.entry(h, s);
    }
    this.mask = mask;
  }
}
