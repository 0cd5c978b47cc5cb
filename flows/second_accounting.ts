// Hosts, time series and per-flow rates accounted per flow and per second, not per packet.
//
// The first packet a flow has in the current second puts it on a pending list with a copy of
// its counters. When the second ends (or a reader asks), each pending flow adds what it gained
// since the copy to its two hosts, to the series and to its own rate buckets. A flow with 200
// packets in a second costs two host updates, not 400. Totals are the same as packet by packet:
// a packet from an earlier second than the current one (out of order) is accounted at once, in
// its own second, and kept out of its flow's pending gain (late()).

import { IpProto } from "../capture/packet_batch.ts";
import {
  ACTIVE_WORDS,
  B_SERVICE,
  F32_RATE,
  F_BYTES_AB,
  F_BYTES_BA,
  type FlowStore,
  H_APP,
  H_PENDING,
  MetaBit,
  RATE_BUCKETS,
  W_ADDR,
  W_META,
  W_PKTS_AB,
  W_PKTS_BA,
  W_RATE_SECOND,
} from "./flow_store.ts";
import type { HostTable } from "./hosts.ts";
import { L4Class, type TimeSeries } from "./time_series.ts";

/**
 * Flows the pending list holds (H_PENDING is 16-bit); when it fills, it is accounted early,
 * which is exact: every entry belongs to the current second.
 */
const PENDING_CAPACITY = 16_384;

/** The pending list of one flow table, and where its gains go. */
export class SecondAccounting {
  /** The epoch second pending traffic belongs to. */
  second = -1;
  readonly #store: FlowStore;
  readonly #hosts: HostTable;
  readonly #series: TimeSeries;
  #count = 0;
  readonly #slot = new Int32Array(PENDING_CAPACITY);
  readonly #pktsAB = new Float64Array(PENDING_CAPACITY);
  readonly #pktsBA = new Float64Array(PENDING_CAPACITY);
  readonly #bytesAB = new Float64Array(PENDING_CAPACITY);
  readonly #bytesBA = new Float64Array(PENDING_CAPACITY);

  constructor(store: FlowStore, hosts: HostTable, series: TimeSeries) {
    this.#store = store;
    this.#hosts = hosts;
    this.#series = series;
  }

  /**
   * Accounts every pending flow's gain and empties the list. The list is emptied before the
   * loop, not after: V8 compiles the loop on its first long run (on-stack replacement), when a
   * store after it has never run, and the compiled loop then left through a deoptimization at
   * every later flush (79 in 8M packets of the usual mix). Nothing in the loop reads the count.
   */
  flush(): void {
    const n = this.#count;
    if (n === 0) return;
    this.#count = 0;
    const slots = this.#slot;
    for (let p = 0; p < n; p++) {
      const s = slots[p];
      if (s >= 0) this.#accountGain(s, p);
    }
  }

  /** Puts flow `s` on the list (if it is not there yet) with its counters as they are now. */
  mark(s: number): void {
    if (this.entry(s) >= 0) return;
    if (this.#count === PENDING_CAPACITY) this.flush();
    const p = this.#count++;
    const u32 = this.#store.u32;
    const f64 = this.#store.f64;
    const r = s * ACTIVE_WORDS;
    this.#slot[p] = s;
    this.#pktsAB[p] = u32[r + W_PKTS_AB];
    this.#pktsBA[p] = u32[r + W_PKTS_BA];
    this.#bytesAB[p] = f64[(r >> 1) + F_BYTES_AB];
    this.#bytesBA[p] = f64[(r >> 1) + F_BYTES_BA];
    this.#store.u16[r * 2 + H_PENDING] = p + 1;
  }

  /** Flow `s`'s entry in the list, or -1. */
  entry(s: number): number {
    const p = this.#store.u16[s * ACTIVE_WORDS * 2 + H_PENDING] - 1;
    return p >= 0 && p < this.#count && this.#slot[p] === s ? p : -1;
  }

  /** Accounts flow `s`'s gain now and takes it off the list (it is ending). */
  settle(s: number): void {
    const p = this.entry(s);
    if (p < 0) return;
    this.#accountGain(s, p);
    this.#slot[p] = -1;
  }

  /**
   * Keeps a packet just added to flow `s` (`len` bytes, from end B when `fromB`) out of its
   * pending gain: it was accounted already (a one-packet flow folded into an aggregate).
   */
  exclude(s: number, len: number, fromB: boolean): void {
    const p = this.entry(s);
    if (p < 0) return;
    if (fromB) {
      this.#pktsBA[p]++;
      this.#bytesBA[p] += len;
    } else {
      this.#pktsAB[p]++;
      this.#bytesAB[p] += len;
    }
  }

  /**
   * Accounts a packet of flow `s` from a second before the current one (`len` bytes, sent by
   * end B when `fromB`) at once in its own `second`, and keeps it out of the flow's pending gain.
   */
  late(s: number, second: number, len: number, fromB: boolean): void {
    const store = this.#store;
    const r = s * ACTIVE_WORDS;
    const meta = store.u32[r + W_META];
    const v6 = (meta & MetaBit.V6) !== 0 ? 1 : 0;
    const from = fromB ? r + W_ADDR + 4 : r + W_ADDR;
    const to = fromB ? r + W_ADDR : r + W_ADDR + 4;
    if ((meta & MetaBit.Aggregate) === 0) {
      this.#hosts.addTraffic(store.u32, from, v6, second, len, 1, 0, 0);
      this.#hosts.addTraffic(store.u32, to, v6, second, 0, 0, len, 1);
      this.#series.addTraffic(second, 1, len, l4Class(meta & 255), store.u8[r * 4 + B_SERVICE]);
      this.#series.addApp(second, 1, len, this.#series.appColumn(store.u16[r * 2 + H_APP]));
    } else if (fromB) {
      this.#hosts.addTraffic(store.u32, r + W_ADDR + 4, v6, second, len, 1, 0, 0);
    } else {
      this.#hosts.addTraffic(store.u32, r + W_ADDR + 4, v6, second, 0, 0, len, 1);
    }
    const p = this.entry(s);
    if (p < 0) return;
    if (fromB) {
      this.#pktsBA[p]++;
      this.#bytesBA[p] += len;
    } else {
      this.#pktsAB[p]++;
      this.#bytesAB[p] += len;
    }
  }

  /** Accounts what flow `s` gained since entry `p` was made, in the current second. */
  #accountGain(s: number, p: number): void {
    const store = this.#store;
    const u32 = store.u32;
    const f64 = store.f64;
    const r = s * ACTIVE_WORDS;
    const pktsAB = u32[r + W_PKTS_AB] - this.#pktsAB[p];
    const pktsBA = u32[r + W_PKTS_BA] - this.#pktsBA[p];
    const bytesAB = f64[(r >> 1) + F_BYTES_AB] - this.#bytesAB[p];
    const bytesBA = f64[(r >> 1) + F_BYTES_BA] - this.#bytesBA[p];
    if (pktsAB + pktsBA === 0) return;
    const meta = u32[r + W_META];
    const v6 = (meta & MetaBit.V6) !== 0 ? 1 : 0;
    const second = this.second;
    const hosts = this.#hosts;
    if ((meta & MetaBit.Aggregate) === 0) {
      hosts.addTraffic(u32, r + W_ADDR, v6, second, bytesAB, pktsAB, bytesBA, pktsBA);
      // An aggregate's packets were each counted in the series as one-packet flows already;
      // its client end is the unspecified address, which is nobody's traffic.
      this.#series.addTraffic(
        second,
        pktsAB + pktsBA,
        bytesAB + bytesBA,
        l4Class(meta & 255),
        store.u8[r * 4 + B_SERVICE],
      );
      const app = this.#series.appColumn(store.u16[r * 2 + H_APP]);
      this.#series.addApp(second, pktsAB + pktsBA, bytesAB + bytesBA, app);
    }
    hosts.addTraffic(u32, r + W_ADDR + 4, v6, second, bytesBA, pktsBA, bytesAB, pktsAB);
    addRate(store, s, second, bytesAB + bytesBA);
  }
}

/** Adds `bytes` to flow `s`'s rate bucket of `second` (the latest second it has traffic in). */
function addRate(store: FlowStore, s: number, second: number, bytes: number): void {
  const r = s * ACTIVE_WORDS;
  const u32 = store.u32;
  const f32 = store.f32;
  const stamp = u32[r + W_RATE_SECOND];
  if (second > stamp) {
    // Zero the buckets of the seconds skipped since the last one written.
    const from = Math.max(stamp + 1, second - RATE_BUCKETS + 1);
    for (let t = from; t <= second; t++) f32[r + F32_RATE + (t % RATE_BUCKETS)] = 0;
    u32[r + W_RATE_SECOND] = second;
  } else if (second <= stamp - RATE_BUCKETS) {
    return;
  }
  f32[r + F32_RATE + (second % RATE_BUCKETS)] += bytes;
}

/**
 * Bytes per second of flow `s` over the finished seconds before `nowSec`'s second (the current,
 * unfinished second is not part of it: one definition of "now" everywhere): the last
 * RATE_BUCKETS of them, or, while the flow has traffic in the current second (whose bucket
 * then holds that second, not the oldest), the last RATE_BUCKETS - 1. Dividing those by
 * RATE_BUCKETS read a sending flow at two thirds of its rate.
 */
export function flowRate(store: FlowStore, s: number, nowSec: number): number {
  const r = s * ACTIVE_WORDS;
  const stamp = store.u32[r + W_RATE_SECOND];
  const now = Math.floor(nowSec);
  let sum = 0;
  for (let t = now - RATE_BUCKETS; t < now; t++) {
    if (t > stamp || t <= stamp - RATE_BUCKETS) continue;
    sum += store.f32[r + F32_RATE + (t % RATE_BUCKETS)];
  }
  return sum / (stamp >= now ? RATE_BUCKETS - 1 : RATE_BUCKETS);
}

/** Time-series protocol class of an IP protocol number. */
export function l4Class(proto: number): number {
  if (proto === IpProto.Tcp) return L4Class.Tcp;
  if (proto === IpProto.Udp) return L4Class.Udp;
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return L4Class.Icmp;
  return L4Class.Other;
}
