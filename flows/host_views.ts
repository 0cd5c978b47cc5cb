// Reading the host table: a host's traffic over a window and its current rate, and top talkers.

import { addressWordsOf } from "./address_parse.ts";
import {
  type HostTable,
  K_V6,
  KEY,
  M_PKTS_RECV,
  M_PKTS_SENT,
  MIN_F64,
  MIN_U32,
  MINUTES,
  R_FIRST_MINUTE,
  R_LAST_MINUTE,
  R_LAST_SECOND,
  R_SEC_RECV,
  R_SEC_SENT,
  RATE_SECONDS,
  REC,
  SECONDS,
} from "./hosts.ts";

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
  /** The host's best name learned from traffic (DNS answers, SNI, ...), or null. */
  name: string | null;
  /** ISO country code and AS number from --geoip databases, or null. */
  country: string | null;
  asn: number | null;
}

/**
 * The `limit` hosts with the most traffic over the last `windowMin` minutes at `nowSec`, by
 * bytes (or packets) sent + received (or one direction), or by current rate (bytes a second
 * over the last RATE_SECONDS finished seconds, as HostStats' rate), busiest first, ties by
 * address.
 */
export function topHostStats(
  t: HostTable,
  nowSec: number,
  windowMin: HostWindow,
  limit: number,
  by: "bytes" | "packets" | "rate" = "bytes",
  direction: "total" | "sent" | "received" = "total",
): HostStats[] {
  const nowSecond = Math.floor(nowSec);
  const nowMinute = Math.floor(nowSecond / 60);
  const score = new Float64Array(t.capacity);
  const { rec, minBytes: bytes, minPkts: pkts } = t;
  const useBytes = by === "bytes";
  const byRate = by === "rate";
  // The `limit` best so far, as a heap whose root is the worst of them: one pass, no sort of
  // every host (a /talkers top 10 over 50,000 hosts sorted them all).
  const heap: number[] = [];
  const worse = (a: number, b: number) =>
    score[a] < score[b] || (score[a] === score[b] && compareAddress(t, a, b) > 0);
  for (let s = 0; s < t.slotsUsed; s++) {
    if (!t.inUse(s)) continue;
    let sent = 0;
    let recv = 0;
    if (byRate) {
      // As rateOf() sums them (the division by RATE_SECONDS changes no order).
      const r = s * REC;
      const lastSecond = rec[r + R_LAST_SECOND];
      for (let x = nowSecond - RATE_SECONDS; x < nowSecond; x++) {
        if (x > lastSecond || x <= lastSecond - SECONDS) continue;
        sent += rec[r + R_SEC_SENT + (x % SECONDS)];
        recv += rec[r + R_SEC_RECV + (x % SECONDS)];
      }
    } else {
      // The window's sums, in the same order as windowOf() adds them.
      const last = rec[s * REC + R_LAST_MINUTE];
      const first = rec[s * REC + R_FIRST_MINUTE];
      for (let m = nowMinute - windowMin; m <= nowMinute; m++) {
        if (m > last || m <= last - MINUTES || m < first) continue;
        const b = t.bucketOf(s, m);
        if (useBytes) {
          sent += bytes[b * MIN_F64];
          recv += bytes[b * MIN_F64 + 1];
        } else {
          sent += pkts[b * MIN_U32 + M_PKTS_SENT];
          recv += pkts[b * MIN_U32 + M_PKTS_RECV];
        }
      }
    }
    const value = direction === "sent" ? sent : direction === "received" ? recv : sent + recv;
    if (value <= 0) continue;
    score[s] = value;
    if (heap.length < limit) {
      heap.push(s);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i], heap[parent])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (limit > 0 && worse(heap[0], s)) {
      heap[0] = s;
      for (let i = 0;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let w = i;
        if (l < heap.length && worse(heap[l], heap[w])) w = l;
        if (r < heap.length && worse(heap[r], heap[w])) w = r;
        if (w === i) break;
        [heap[i], heap[w]] = [heap[w], heap[i]];
        i = w;
      }
    }
  }
  heap.sort((a, b) => score[b] - score[a] || compareAddress(t, a, b));
  return heap.map((s) => hostStatsAt(t, s, nowSec, windowMin));
}

/** Stats of one address ("10.0.0.1", "2001:db8::1") over a window, or undefined. */
export function hostStats(
  t: HostTable,
  address: string,
  nowSec: number,
  windowMin: HostWindow,
): HostStats | undefined {
  // Through the index: a merge across shards asks for thousands of addresses at once (every
  // flood source can be a candidate), and a scan of the table per address took minutes.
  const parsed = addressWordsOf(address);
  if (!parsed) return undefined;
  const s = t.lookup(Uint32Array.from(parsed.words), 0, parsed.v6 ? 1 : 0);
  return s < 0 ? undefined : hostStatsAt(t, s, nowSec, windowMin);
}

/** Stats of the host in slot `s`. */
export function hostStatsAt(
  t: HostTable,
  s: number,
  nowSec: number,
  windowMin: HostWindow,
): HostStats {
  const w = windowOf(t, s, Math.floor(Math.floor(nowSec) / 60), windowMin);
  const rate = rateOf(t, s, Math.floor(nowSec));
  return {
    address: t.address(s),
    bytes_sent: w[0],
    bytes_received: w[1],
    packets_sent: w[2],
    packets_received: w[3],
    rate_sent: rate[0],
    rate_received: rate[1],
    name: null,
    country: null,
    asn: null,
  };
}

/** [bytes sent, bytes received, packets sent, packets received] over the window. */
function windowOf(t: HostTable, s: number, nowMinute: number, windowMin: number): number[] {
  const out = [0, 0, 0, 0];
  const last = t.rec[s * REC + R_LAST_MINUTE];
  const first = t.rec[s * REC + R_FIRST_MINUTE];
  for (let m = nowMinute - windowMin; m <= nowMinute; m++) {
    // Buckets after the host's last minute were never written; older than 60 are reused;
    // before the host's first minute it had no traffic here (those buckets are stale).
    if (m > last || m <= last - MINUTES || m < first) continue;
    const b = t.bucketOf(s, m);
    out[0] += t.minBytes[b * MIN_F64];
    out[1] += t.minBytes[b * MIN_F64 + 1];
    out[2] += t.minPkts[b * MIN_U32 + M_PKTS_SENT];
    out[3] += t.minPkts[b * MIN_U32 + M_PKTS_RECV];
  }
  return out;
}

/** [sent, received] bytes per second over the RATE_SECONDS full seconds before `nowSecond`. */
function rateOf(t: HostTable, s: number, nowSecond: number): number[] {
  let sent = 0;
  let recv = 0;
  const r = s * REC;
  const last = t.rec[r + R_LAST_SECOND];
  for (let x = nowSecond - RATE_SECONDS; x < nowSecond; x++) {
    if (x > last || x <= last - SECONDS) continue;
    sent += t.rec[r + R_SEC_SENT + (x % SECONDS)];
    recv += t.rec[r + R_SEC_RECV + (x % SECONDS)];
  }
  return [sent / RATE_SECONDS, recv / RATE_SECONDS];
}

/** Orders two host slots by version, then address words. */
function compareAddress(t: HostTable, a: number, b: number): number {
  const k = t.keys;
  if (k[a * KEY + K_V6] !== k[b * KEY + K_V6]) return k[a * KEY + K_V6] - k[b * KEY + K_V6];
  for (let w = 0; w < 4; w++) {
    const x = k[a * KEY + w];
    const y = k[b * KEY + w];
    if (x !== y) return x - y;
  }
  return 0;
}

/** Per-host traffic of one minute, as parallel arrays over the hosts that had any. */
export interface MinuteOfHosts {
  count: number;
  bytesSent: Float64Array;
  bytesReceived: Float64Array;
  packetsSent: Float64Array;
  packetsReceived: Float64Array;
  /** Host slot of each entry. */
  slots: Int32Array;
}

/**
 * Every host's traffic in `minute` (epoch minute number), read from its minute buckets while
 * the table still holds them (within the last hour of the host's traffic).
 */
export function hostsOfMinute(t: HostTable, minute: number): MinuteOfHosts {
  const n = t.count;
  const out: MinuteOfHosts = {
    count: 0,
    bytesSent: new Float64Array(n),
    bytesReceived: new Float64Array(n),
    packetsSent: new Float64Array(n),
    packetsReceived: new Float64Array(n),
    slots: new Int32Array(n),
  };
  for (let s = 0; s < t.slotsUsed; s++) {
    if (!t.inUse(s)) continue;
    const last = t.rec[s * REC + R_LAST_MINUTE];
    const first = t.rec[s * REC + R_FIRST_MINUTE];
    if (minute > last || minute <= last - MINUTES || minute < first) continue;
    const b = t.bucketOf(s, minute);
    const sent = t.minBytes[b * MIN_F64];
    const recv = t.minBytes[b * MIN_F64 + 1];
    const ps = t.minPkts[b * MIN_U32 + M_PKTS_SENT];
    const pr = t.minPkts[b * MIN_U32 + M_PKTS_RECV];
    if (sent + recv + ps + pr === 0) continue;
    const i = out.count++;
    out.bytesSent[i] = sent;
    out.bytesReceived[i] = recv;
    out.packetsSent[i] = ps;
    out.packetsReceived[i] = pr;
    out.slots[i] = s;
  }
  return out;
}

/**
 * Bytes `address` sent and received in each of the last 60 minutes before `nowSec`'s minute
 * (the current one included), oldest first.
 */
export function hostMinuteSeries(
  t: HostTable,
  address: string,
  nowSec: number,
): { t: number[]; sent: number[]; received: number[] } {
  const out = { t: [] as number[], sent: [] as number[], received: [] as number[] };
  let s = -1;
  for (let x = 0; x < t.slotsUsed && s < 0; x++) if (t.inUse(x) && t.address(x) === address) s = x;
  const nowMinute = Math.floor(Math.floor(nowSec) / 60);
  const last = s < 0 ? 0 : t.rec[s * REC + R_LAST_MINUTE];
  const first = s < 0 ? 0 : t.rec[s * REC + R_FIRST_MINUTE];
  for (let m = nowMinute - 59; m <= nowMinute; m++) {
    out.t.push(m * 60);
    if (s < 0 || m > last || m <= last - MINUTES || m < first) {
      out.sent.push(0);
      out.received.push(0);
      continue;
    }
    const b = t.bucketOf(s, m);
    out.sent.push(t.minBytes[b * MIN_F64]);
    out.received.push(t.minBytes[b * MIN_F64 + 1]);
  }
  return out;
}
