// Bounded host table: traffic sent and received per address, over 1-60 minute windows and now.
//
// The shared hash index (hash_index.ts) finds a host's slot; one recency list, updated per
// flow and second (not per packet), orders hosts for eviction. Each host has 61 minute buckets
// (the current minute and the 60 before it) and 4 one-second buckets for the current rate;
// buckets are cleared lazily when the host is next seen, and readers check their age.
//
// Layout is for the packet path, which updates two hosts per packet: what one packet writes
// for one host sits together. A host's totals, last-seen times and second buckets are one
// 128-byte record (two cache lines); a minute bucket is one 24-byte record (bytes sent and
// received as float64, then packets sent and received as uint32), so one update touches one or
// two cache lines rather than one per field. Minute buckets are laid out minute by minute (all
// hosts' buckets of one minute together, see bucketOf()): the packet path writes only the
// current minute's, 1.5 MB at 65,536 hosts, which stays in cache, where a host's 61 buckets side
// by side spread those writes over 96 MB.

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { type PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { HashIndex, type IndexedTable, MAX_DIB, rebuildIndexOf } from "./hash_index.ts";

/** Minute buckets per host: the current minute and the 60 before it. */
export const MINUTES = 61;
/** Second buckets per host: the current second and the 3 before it (the rate's span). */
export const SECONDS = 4;
/** Full seconds the current rate averages over. */
export const RATE_SECONDS = SECONDS - 1;

/** Words of a key record: address 0-3, then these. */
const K_HASH = 4;
export const K_V6 = 5;
const K_PREV = 6;
const K_NEXT = 7;
/** Uint32 words per key record (32 bytes). */
export const KEY = 8;
/** K_V6 of a free slot. */
export const FREE = 255;

/** Float64 fields of a host record (REC per host). Line 1: times and totals. */
export const R_LAST_SECOND = 0;
export const R_LAST_MINUTE = 1;
const R_BYTES_SENT = 2;
const R_PKTS_SENT = 3;
const R_BYTES_RECV = 4;
const R_PKTS_RECV = 5;
/** The minute the host entered the table: buckets before it read as zero, unwritten. */
export const R_FIRST_MINUTE = 6;
/** Line 2: SECONDS second buckets of bytes sent, then of bytes received. */
export const R_SEC_SENT = 8;
export const R_SEC_RECV = 8 + SECONDS;
/** Float64 values per host record: 16, so 128 bytes, two cache lines. */
export const REC = 16;
/** A minute bucket is 24 bytes: 3 float64 (bytes sent, bytes received, -) or 6 uint32. */
export const MIN_F64 = 3;
/** Packets sent and received sit in uint32 words 4 and 5 of the bucket (the third float64). */
export const MIN_U32 = 6;
export const M_PKTS_SENT = 4;
export const M_PKTS_RECV = 5;

/**
 * Hosts seen in IP packets, at most `maxHosts`; when full, the least recently seen host is
 * evicted (counted in `evicted`) and its history is lost.
 *
 * Window totals are exact for the traffic a host had while it was in the table. The window of W
 * minutes is the current minute so far plus the W minutes before it, so it covers between W and
 * W + 1 minutes of traffic: that is the documented bound of top talkers.
 */
export class HostTable implements IndexedTable {
  readonly maxHosts: number;
  count = 0;
  evicted = 0;
  capacity = 0;
  /**
   * KEY words per slot, everything a lookup and a recency move read, in one 32-byte record:
   * the address (IPv4 in word 0), its hash, the version (1: IPv6; 255: free slot) and, through
   * `links` (an Int32Array over the same memory), the recency list's prev and next.
   */
  keys = new Uint32Array(0);
  links = new Int32Array(0);
  /**
   * REC float64 per slot: epoch second and minute the host was last seen in, totals since it
   * entered the table, and SECONDS second buckets per direction (bucket = second % SECONDS).
   */
  rec = new Float64Array(0);
  /** MINUTES buckets per slot (bucket: bucketOf()), two views of the same memory. */
  minBytes = new Float64Array(0);
  minPkts = new Uint32Array(0);
  private readonly index: HashIndex;
  private head = -1;
  private tail = -1;
  private freeHead = -1;
  /**
   * Slots at and above this were never used: taken in order once no freed slot is left, so
   * growing touches no memory (a free list over every new slot wrote 32 bytes per slot).
   */
  private highWater = 0;
  /** Hash seed, random per process (as the flow key's). */
  private readonly seed = crypto.getRandomValues(new Uint32Array(1))[0];

  /** Allocates `initialCapacity` hosts (default: all; pages are committed when first used). */
  constructor(maxHosts: number, initialCapacity = maxHosts) {
    if (!Number.isInteger(maxHosts) || maxHosts < 1) {
      throw new RangeError(`maxHosts must be a positive integer, got ${maxHosts}`);
    }
    this.maxHosts = maxHosts;
    this.index = new HashIndex(maxHosts, Math.min(maxHosts, 1024), { num: 1, den: 2 });
    this.grow(Math.min(maxHosts, initialCapacity));
  }

  /** Accounts IP packet `i` of `batch` (`len` bytes) to its source (sent) and destination (received). */
  addPacket(batch: PacketBatch, i: number, len: number): void {
    const v6 = batch.kind[i] === PacketKind.Ipv6 ? 1 : 0;
    const base = i << 2;
    const second = batch.tsSec[i];
    this.addTraffic(batch.src, base, v6, second, len, 1, 0, 0);
    this.addTraffic(batch.dst, base, v6, second, 0, 0, len, 1);
  }

  /**
   * Accounts traffic of the host at `words[base..base+3]` (IPv4 in word 0 when `v6` is 0) in
   * epoch second `second` (a whole number): bytes and packets it sent and received.
   */
  addTraffic(
    words: Uint32Array,
    base: number,
    v6: number,
    second: number,
    sentBytes: number,
    sentPkts: number,
    recvBytes: number,
    recvPkts: number,
  ): void {
    // Whole seconds, so that the bucket arithmetic below is integer arithmetic; from a float
    // V8 compiles `%` to a floating-point modulo.
    const minute = (second / 60) >>> 0;
    // this.rec is read after slotOf(): adding a host may grow (replace) the arrays.
    const s = this.slotOf(words, base, v6, second, minute);
    const rec = this.rec;
    const r = s * REC;
    rec[r + R_BYTES_SENT] += sentBytes;
    rec[r + R_PKTS_SENT] += sentPkts;
    rec[r + R_BYTES_RECV] += recvBytes;
    rec[r + R_PKTS_RECV] += recvPkts;
    // Traffic out of time order still goes to its own minute and second while their buckets
    // are held (slotOf() moved the host to the later of its last time and this one), so the
    // windows do not depend on the order traffic is accounted in.
    if (minute > rec[r + R_LAST_MINUTE] - MINUTES) {
      if (minute < rec[r + R_FIRST_MINUTE]) this.extendBack(s, minute);
      const b = this.bucketOf(s, minute);
      this.minBytes[b * MIN_F64] += sentBytes;
      this.minBytes[b * MIN_F64 + 1] += recvBytes;
      this.minPkts[b * MIN_U32 + M_PKTS_SENT] += sentPkts;
      this.minPkts[b * MIN_U32 + M_PKTS_RECV] += recvPkts;
    }
    if (second > rec[r + R_LAST_SECOND] - SECONDS) {
      rec[r + R_SEC_SENT + (second % SECONDS)] += sentBytes;
      rec[r + R_SEC_RECV + (second % SECONDS)] += recvBytes;
    }
  }

  /** Makes the host's minute buckets start at `minute`, before its first: zeroes the new ones. */
  private extendBack(s: number, minute: number): void {
    const r = s * REC;
    for (let m = minute; m < this.rec[r + R_FIRST_MINUTE]; m++) this.clearMinute(s, m);
    this.rec[r + R_FIRST_MINUTE] = minute;
  }

  /** Zeroes host `s`'s bucket of minute `m`: all 24 bytes, both byte and packet counts. */
  private clearMinute(s: number, m: number): void {
    const b = this.bucketOf(s, m);
    this.minBytes[b * MIN_F64] = 0;
    this.minBytes[b * MIN_F64 + 1] = 0;
    this.minBytes[b * MIN_F64 + 2] = 0;
  }

  /**
   * Index of host `s`'s bucket of minute `m` in the minute arrays (times MIN_F64 in `minBytes`,
   * MIN_U32 in `minPkts`): minute-major, so a minute's buckets of every host sit together.
   */
  bucketOf(s: number, m: number): number {
    return (m % MINUTES) * this.capacity + s;
  }

  /** Text of the address in slot `s`. */
  address(s: number): string {
    const a = s * KEY;
    const w = this.keys;
    return w[a + K_V6] ? formatIpv6(w[a], w[a + 1], w[a + 2], w[a + 3]) : formatIpv4(w[a]);
  }

  /** Slots ever used: every host sits below this. */
  get slotsUsed(): number {
    return this.highWater;
  }

  /** True when slot `s` holds a host. */
  inUse(s: number): boolean {
    return s < this.highWater && this.keys[s * KEY + K_V6] !== FREE;
  }

  /** The index is the host table's alone: its entries are slots. */
  readonly indexBase = 0;

  /** The address hash of the host in slot `s` (rebuildIndexOf's name for it). */
  slotHash(s: number): number {
    return this.keys[s * KEY + K_HASH];
  }

  /** True when slot `s` holds an IPv6 host. */
  isV6(s: number): boolean {
    return this.keys[s * KEY + K_V6] === 1;
  }

  /** Slot of the host at `words[base..base+3]`, added if new; advances its buckets. */
  private slotOf(words: Uint32Array, base: number, v6: number, second: number, minute: number) {
    const h = this.hash(words, base, v6);
    let s = this.find(words, base, v6, h);
    if (s < 0) s = this.insert(words, base, v6, h, second, minute);
    this.advance(s, second, minute);
    if (this.tail !== s) {
      this.unlink(s);
      this.append(s);
    }
    return s;
  }

  /**
   * Slot of the host at `words[base..base+3]` (IPv4 in word 0 when `v6` is 0), or -1: a read,
   * which neither adds the host nor moves it in the recency list.
   */
  lookup(words: Uint32Array, base: number, v6: number): number {
    return this.find(words, base, v6, this.hash(words, base, v6));
  }

  /** The murmur3 finaliser over the address words, mixed with the version: an int32, as hashKey. */
  private hash(words: Uint32Array, base: number, v6: number): number {
    let h = (v6 + this.seed) | 0;
    for (let w = 0; w < 4; w++) {
      h = Math.imul(h ^ words[base + w], 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** Moves the host's buckets forward to `second` and `minute`, zeroing the skipped ones. */
  private advance(s: number, second: number, minute: number): void {
    const rec = this.rec;
    const r = s * REC;
    const lastMinute = rec[r + R_LAST_MINUTE];
    if (minute > lastMinute) {
      const from = Math.max(lastMinute + 1, minute - MINUTES + 1);
      for (let m = from; m <= minute; m++) this.clearMinute(s, m);
      rec[r + R_LAST_MINUTE] = minute;
    }
    const lastSecond = rec[r + R_LAST_SECOND];
    if (second > lastSecond) {
      const from = Math.max(lastSecond + 1, second - SECONDS + 1);
      for (let t = from; t <= second; t++) {
        rec[r + R_SEC_SENT + (t % SECONDS)] = 0;
        rec[r + R_SEC_RECV + (t % SECONDS)] = 0;
      }
      rec[r + R_LAST_SECOND] = second;
    }
  }

  private find(words: Uint32Array, base: number, v6: number, h: number): number {
    // HashIndex's first()/next() walked in locals, as the flow lookup does (hot: two a flow-second).
    const index = this.index;
    const entries = index.entries;
    const size = index.size;
    const bits = index.slotBits;
    const slotMask = index.slotMask;
    const tagMask = index.tagMask;
    const tagShift = index.tagShift;
    const k = this.keys;
    let pos = Math.floor((h >>> 0) * size / 4294967296); // HashIndex's home bucket
    for (let dib = 0;; dib++) {
      const e = entries[pos];
      const theirs = (e >>> bits) & MAX_DIB;
      if (e === 0 || theirs < dib) return -1;
      if (theirs === dib && ((e ^ (h << tagShift)) & tagMask) === 0) {
        const a = ((e & slotMask) - 1) * KEY;
        if (
          k[a + K_V6] === v6 && k[a] === words[base] && k[a + 1] === words[base + 1] &&
          k[a + 2] === words[base + 2] && k[a + 3] === words[base + 3]
        ) return (e & slotMask) - 1;
      }
      pos = pos + 1 === size ? 0 : pos + 1;
    }
  }

  private insert(
    words: Uint32Array,
    base: number,
    v6: number,
    h: number,
    second: number,
    minute: number,
  ): number {
    if (this.freeHead < 0 && this.highWater === this.capacity && this.capacity < this.maxHosts) {
      this.grow(Math.min(this.maxHosts, this.capacity * 2));
    }
    if (this.freeHead < 0 && this.highWater === this.capacity) {
      this.evicted++;
      this.remove(this.head);
    }
    // The index is sized to the hosts held, so a small table stays in cache.
    if (this.index.needsGrowth) this.rebuildIndex(this.index.grownRecords());
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.links[s * KEY + K_NEXT];
    else s = this.highWater++;
    const a = s * KEY;
    for (let w = 0; w < 4; w++) this.keys[a + w] = words[base + w];
    this.keys[a + K_V6] = v6;
    this.keys[a + K_HASH] = h;
    const r = s * REC;
    this.rec[r + R_BYTES_SENT] = 0;
    this.rec[r + R_BYTES_RECV] = 0;
    this.rec[r + R_PKTS_SENT] = 0;
    this.rec[r + R_PKTS_RECV] = 0;
    // Start just before now: advance() then zeroes every bucket the host will read, that is
    // its four second buckets and, for minutes, only the current one: readers skip minutes
    // before R_FIRST_MINUTE, so a new host costs one 24-byte bucket rather than 61.
    this.rec[r + R_FIRST_MINUTE] = minute;
    this.rec[r + R_LAST_MINUTE] = minute - 1;
    this.rec[r + R_LAST_SECOND] = second - SECONDS;
    if (!this.index.insert(h, s)) this.rebuildIndex(this.index.grownRecords());
    this.links[a + K_PREV] = -1;
    this.links[a + K_NEXT] = -1;
    this.append(s);
    this.count++;
    return s;
  }

  private remove(s: number): void {
    const keys = this.keys;
    this.index.remove(keys[s * KEY + K_HASH] | 0, s);
    this.unlink(s);
    keys[s * KEY + K_V6] = FREE;
    this.links[s * KEY + K_NEXT] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  private append(s: number): void {
    const links = this.links;
    links[s * KEY + K_PREV] = this.tail;
    links[s * KEY + K_NEXT] = -1;
    if (this.tail >= 0) links[this.tail * KEY + K_NEXT] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const links = this.links;
    const p = links[s * KEY + K_PREV];
    const n = links[s * KEY + K_NEXT];
    if (p >= 0) links[p * KEY + K_NEXT] = n;
    else this.head = n;
    if (n >= 0) links[n * KEY + K_PREV] = p;
    else this.tail = p;
  }

  /** Grows every per-slot array to `capacity` (the index grows with the count, apart). */
  private grow(capacity: number): void {
    const f64 = (a: Float64Array, per = 1) => {
      const b = new Float64Array(capacity * per);
      b.set(a);
      return b;
    };
    const u32 = (a: Uint32Array, per = 1) => {
      const b = new Uint32Array(capacity * per);
      b.set(a);
      return b;
    };
    this.keys = u32(this.keys, KEY);
    this.links = new Int32Array(this.keys.buffer);
    this.rec = f64(this.rec, REC);
    // Minute-major: each minute's run of buckets moves to its place at the new stride.
    const minutes = new Float64Array(capacity * MINUTES * MIN_F64);
    const run = this.capacity * MIN_F64;
    for (let m = 0; m < MINUTES && run > 0; m++) {
      minutes.set(this.minBytes.subarray(m * run, (m + 1) * run), m * capacity * MIN_F64);
    }
    this.minBytes = minutes;
    this.minPkts = new Uint32Array(this.minBytes.buffer);
    this.capacity = capacity;
  }

  /** Re-indexes every host, sized for `records` (growth, or an index overflow). */
  private rebuildIndex(records: number): void {
    rebuildIndexOf(this.index, [this], records, "host index");
  }
}
