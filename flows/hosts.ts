// Bounded host table: traffic sent and received per address, over 1-60 minute windows and now.
//
// Same structure as the flow table: struct-of-arrays, an open-addressed index (slot + 1, linear
// probing, backward-shift deletion) and one recency list for eviction. Each host has 61 minute
// buckets (the current minute and the 60 before it) and 4 one-second buckets for the current
// rate; buckets are cleared lazily when the host is next seen, and readers check their age.

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { type PacketBatch, PacketKind } from "../capture/packet_batch.ts";

/** Minute buckets per host: the current minute and the 60 before it. */
const MINUTES = 61;
/** Second buckets per host: the current second and the 3 before it (the rate's span). */
const SECONDS = 4;
/** Full seconds the current rate averages over. */
export const RATE_SECONDS = SECONDS - 1;

/** Windows top talkers can be asked for, in minutes. */
export type HostWindow = 1 | 5 | 15 | 60;

/** One host's traffic over a window, and its current rate. Field names are JSON keys. */
export interface HostStats {
  address: string;
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number;
  packets_received: number;
  /** Bytes per second over the last RATE_SECONDS full seconds. */
  rate_sent: number;
  rate_received: number;
}

/**
 * Hosts seen in IP packets, at most `maxHosts`; when full, the least recently seen host is
 * evicted (counted in `evicted`) and its history is lost.
 *
 * Window totals are exact for the traffic a host had while it was in the table. The window of W
 * minutes is the current minute so far plus the W minutes before it, so it covers between W and
 * W + 1 minutes of traffic: that is the documented bound of top talkers.
 */
export class HostTable {
  readonly maxHosts: number;
  count = 0;
  evicted = 0;
  capacity = 0;
  /** Four address words per slot (IPv4 in word 0). */
  addr = new Uint32Array(0);
  v6 = new Uint8Array(0);
  hash = new Uint32Array(0);
  prev = new Int32Array(0);
  next = new Int32Array(0);
  /** Totals since the host entered the table. */
  bytesSent = new Float64Array(0);
  bytesRecv = new Float64Array(0);
  pktsSent = new Float64Array(0);
  pktsRecv = new Float64Array(0);
  /** Epoch second and minute the host was last seen in. */
  lastSecond = new Float64Array(0);
  lastMinute = new Float64Array(0);
  /** MINUTES buckets per slot (bucket = minute % MINUTES). */
  minBytesSent = new Float64Array(0);
  minBytesRecv = new Float64Array(0);
  minPktsSent = new Uint32Array(0);
  minPktsRecv = new Uint32Array(0);
  /** SECONDS buckets per slot (bucket = second % SECONDS). */
  secBytesSent = new Float64Array(0);
  secBytesRecv = new Float64Array(0);
  private index = new Int32Array(16);
  private mask = 15;
  private head = -1;
  private tail = -1;
  private freeHead = -1;

  /** Allocates `initialCapacity` hosts (default: all; pages are committed when first used). */
  constructor(maxHosts: number, initialCapacity = maxHosts) {
    if (!Number.isInteger(maxHosts) || maxHosts < 1) {
      throw new RangeError(`maxHosts must be a positive integer, got ${maxHosts}`);
    }
    this.maxHosts = maxHosts;
    this.grow(Math.min(maxHosts, initialCapacity));
  }

  /** Accounts IP packet `i` of `batch` (`len` bytes) to its source (sent) and destination (received). */
  addPacket(batch: PacketBatch, i: number, len: number): void {
    const v6 = batch.kind[i] === PacketKind.Ipv6 ? 1 : 0;
    const base = i << 2;
    // Whole seconds straight from the record (uint32), so that the bucket arithmetic below is
    // integer arithmetic; from a float timestamp V8 compiles `%` to a floating-point modulo.
    const second = batch.tsSec[i];
    const minute = (second / 60) >>> 0;
    const s = this.slotOf(batch.src, base, v6, second, minute);
    this.bytesSent[s] += len;
    this.pktsSent[s]++;
    if (minute === this.lastMinute[s]) {
      this.minBytesSent[s * MINUTES + (minute % MINUTES)] += len;
      this.minPktsSent[s * MINUTES + (minute % MINUTES)]++;
    }
    if (second === this.lastSecond[s]) this.secBytesSent[s * SECONDS + (second % SECONDS)] += len;
    const d = this.slotOf(batch.dst, base, v6, second, minute);
    this.bytesRecv[d] += len;
    this.pktsRecv[d]++;
    if (minute === this.lastMinute[d]) {
      this.minBytesRecv[d * MINUTES + (minute % MINUTES)] += len;
      this.minPktsRecv[d * MINUTES + (minute % MINUTES)]++;
    }
    if (second === this.lastSecond[d]) this.secBytesRecv[d * SECONDS + (second % SECONDS)] += len;
  }

  /**
   * The `limit` hosts with the most traffic over the last `windowMin` minutes at `nowSec`, by
   * bytes (or packets) sent + received (or one direction), busiest first, ties by address.
   */
  top(
    nowSec: number,
    windowMin: HostWindow,
    limit: number,
    by: "bytes" | "packets" = "bytes",
    direction: "total" | "sent" | "received" = "total",
  ): HostStats[] {
    const nowMinute = Math.floor(Math.floor(nowSec) / 60);
    const score = new Float64Array(this.capacity);
    const order: number[] = [];
    for (let s = 0; s < this.capacity; s++) {
      if (this.v6[s] === 255) continue;
      const w = this.window(s, nowMinute, windowMin);
      const sent = by === "bytes" ? w[0] : w[2];
      const recv = by === "bytes" ? w[1] : w[3];
      const value = direction === "sent" ? sent : direction === "received" ? recv : sent + recv;
      if (value <= 0) continue;
      score[s] = value;
      order.push(s);
    }
    order.sort((a, b) => score[b] - score[a] || compareAddress(this, a, b));
    return order.slice(0, limit).map((s) => this.stats(s, nowSec, windowMin));
  }

  /** Stats of one address ("10.0.0.1", "2001:db8::1") over a window, or undefined. */
  host(address: string, nowSec: number, windowMin: HostWindow): HostStats | undefined {
    for (let s = 0; s < this.capacity; s++) {
      if (this.v6[s] !== 255 && this.address(s) === address) {
        return this.stats(s, nowSec, windowMin);
      }
    }
    return undefined;
  }

  /** Text of the address in slot `s`. */
  address(s: number): string {
    const a = s << 2;
    const w = this.addr;
    return this.v6[s] ? formatIpv6(w[a], w[a + 1], w[a + 2], w[a + 3]) : formatIpv4(w[a]);
  }

  private stats(s: number, nowSec: number, windowMin: HostWindow): HostStats {
    const w = this.window(s, Math.floor(Math.floor(nowSec) / 60), windowMin);
    const rate = this.rate(s, Math.floor(nowSec));
    return {
      address: this.address(s),
      bytes_sent: w[0],
      bytes_received: w[1],
      packets_sent: w[2],
      packets_received: w[3],
      rate_sent: rate[0],
      rate_received: rate[1],
    };
  }

  /** [bytes sent, bytes received, packets sent, packets received] over the window. */
  private window(s: number, nowMinute: number, windowMin: number): number[] {
    const out = [0, 0, 0, 0];
    const last = this.lastMinute[s];
    for (let m = nowMinute - windowMin; m <= nowMinute; m++) {
      // Buckets after the host's last minute were never written; older than 60 are reused.
      if (m > last || m <= last - MINUTES) continue;
      const b = s * MINUTES + (m % MINUTES);
      out[0] += this.minBytesSent[b];
      out[1] += this.minBytesRecv[b];
      out[2] += this.minPktsSent[b];
      out[3] += this.minPktsRecv[b];
    }
    return out;
  }

  /** [sent, received] bytes per second over the RATE_SECONDS full seconds before `nowSecond`. */
  private rate(s: number, nowSecond: number): number[] {
    let sent = 0;
    let recv = 0;
    const last = this.lastSecond[s];
    for (let t = nowSecond - RATE_SECONDS; t < nowSecond; t++) {
      if (t > last || t <= last - SECONDS) continue;
      sent += this.secBytesSent[s * SECONDS + (t % SECONDS)];
      recv += this.secBytesRecv[s * SECONDS + (t % SECONDS)];
    }
    return [sent / RATE_SECONDS, recv / RATE_SECONDS];
  }

  /** Slot of the host at `words[base..base+3]`, added if new; advances its buckets. */
  private slotOf(words: Uint32Array, base: number, v6: number, second: number, minute: number) {
    // Hash: the murmur3 finaliser over the four words mixed with the version.
    let h = v6 + 0x27d4eb2f;
    for (let w = 0; w < 4; w++) {
      h = Math.imul(h ^ words[base + w], 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    let s = this.find(words, base, v6, h);
    if (s < 0) s = this.insert(words, base, v6, h, second, minute);
    this.advance(s, second, minute);
    if (this.tail !== s) {
      this.unlink(s);
      this.append(s);
    }
    return s;
  }

  /** Moves the host's buckets forward to `second` and `minute`, zeroing the skipped ones. */
  private advance(s: number, second: number, minute: number): void {
    const lastMinute = this.lastMinute[s];
    if (minute > lastMinute) {
      const from = Math.max(lastMinute + 1, minute - MINUTES + 1);
      for (let m = from; m <= minute; m++) {
        const b = s * MINUTES + (m % MINUTES);
        this.minBytesSent[b] = 0;
        this.minBytesRecv[b] = 0;
        this.minPktsSent[b] = 0;
        this.minPktsRecv[b] = 0;
      }
      this.lastMinute[s] = minute;
    }
    const lastSecond = this.lastSecond[s];
    if (second > lastSecond) {
      const from = Math.max(lastSecond + 1, second - SECONDS + 1);
      for (let t = from; t <= second; t++) {
        this.secBytesSent[s * SECONDS + (t % SECONDS)] = 0;
        this.secBytesRecv[s * SECONDS + (t % SECONDS)] = 0;
      }
      this.lastSecond[s] = second;
    }
  }

  private find(words: Uint32Array, base: number, v6: number, h: number): number {
    const mask = this.mask;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const entry = this.index[i];
      if (entry === 0) return -1;
      const s = entry - 1;
      if (this.hash[s] !== h || this.v6[s] !== v6) continue;
      const a = s << 2;
      if (
        this.addr[a] === words[base] && this.addr[a + 1] === words[base + 1] &&
        this.addr[a + 2] === words[base + 2] && this.addr[a + 3] === words[base + 3]
      ) return s;
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
    if (this.freeHead < 0 && this.capacity < this.maxHosts) {
      this.grow(Math.min(this.maxHosts, this.capacity * 2));
    }
    if (this.freeHead < 0) {
      this.evicted++;
      this.remove(this.head);
    }
    const s = this.freeHead;
    this.freeHead = this.next[s];
    const a = s << 2;
    for (let w = 0; w < 4; w++) this.addr[a + w] = words[base + w];
    this.v6[s] = v6;
    this.hash[s] = h;
    this.bytesSent[s] = 0;
    this.bytesRecv[s] = 0;
    this.pktsSent[s] = 0;
    this.pktsRecv[s] = 0;
    // Start just before now: advance() then zeroes every bucket the host will read.
    this.lastMinute[s] = minute - MINUTES;
    this.lastSecond[s] = second - SECONDS;
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = s + 1;
    this.prev[s] = -1;
    this.next[s] = -1;
    this.append(s);
    this.count++;
    return s;
  }

  private remove(s: number): void {
    const index = this.index;
    const mask = this.mask;
    let p = this.hash[s] & mask;
    while (index[p] !== s + 1) p = (p + 1) & mask;
    for (let j = (p + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[index[j] - 1] & mask;
      if (((j - home) & mask) >= ((j - p) & mask)) {
        index[p] = index[j];
        p = j;
      }
    }
    index[p] = 0;
    this.unlink(s);
    this.v6[s] = 255;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  private append(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  /** Grows every per-slot array to `capacity` and rebuilds the index. */
  private grow(capacity: number): void {
    const old = this.capacity;
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
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.addr = u32(this.addr, 4);
    const v6 = new Uint8Array(capacity).fill(255); // 255 marks a free slot
    v6.set(this.v6);
    this.v6 = v6;
    this.hash = u32(this.hash);
    this.prev = i32(this.prev);
    this.next = i32(this.next);
    this.bytesSent = f64(this.bytesSent);
    this.bytesRecv = f64(this.bytesRecv);
    this.pktsSent = f64(this.pktsSent);
    this.pktsRecv = f64(this.pktsRecv);
    this.lastSecond = f64(this.lastSecond);
    this.lastMinute = f64(this.lastMinute);
    this.minBytesSent = f64(this.minBytesSent, MINUTES);
    this.minBytesRecv = f64(this.minBytesRecv, MINUTES);
    this.minPktsSent = u32(this.minPktsSent, MINUTES);
    this.minPktsRecv = u32(this.minPktsRecv, MINUTES);
    this.secBytesSent = f64(this.secBytesSent, SECONDS);
    this.secBytesRecv = f64(this.secBytesRecv, SECONDS);
    for (let s = capacity - 1; s >= old; s--) {
      this.next[s] = this.freeHead;
      this.freeHead = s;
    }
    let size = 16;
    while (size * 3 < capacity * 4) size *= 2;
    const index = new Int32Array(size);
    const mask = size - 1;
    for (let s = 0; s < old; s++) {
      if (this.v6[s] === 255) continue;
      let i = this.hash[s] & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = s + 1;
    }
    this.index = index;
    this.mask = mask;
    this.capacity = capacity;
  }
}

/** Orders two host slots by version, then address words. */
function compareAddress(hosts: HostTable, a: number, b: number): number {
  if (hosts.v6[a] !== hosts.v6[b]) return hosts.v6[a] - hosts.v6[b];
  for (let w = 0; w < 4; w++) {
    const x = hosts.addr[(a << 2) + w];
    const y = hosts.addr[(b << 2) + w];
    if (x !== y) return x - y;
  }
  return 0;
}
