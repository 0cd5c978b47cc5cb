// The life of one-packet flows: kept in the embryo ring, promoted, ended, or folded when too many.
//
// A flow whose first packet has nothing to inspect (TCP without payload, ICMP) waits here.
// - A second packet promotes it into the flow table with its first packet's counts.
// - One that times out with its one packet ends like any flow (history, export).
// - When the ring is full, the oldest is folded into the aggregate record of its server: client
//   address and port zero, MetaBit.Aggregate, each packet one flow. A flood is summarised by
//   design, and counted, instead of turning the flow table and the history over.
// The series count every packet at once. Hosts get a one-packet flow's packet when the second
// is read, up to a budget of flows a second; past that (a flood, a scan) only when the flow
// is promoted or ends, so random sources never churn the host table. An aggregate
// counts only its server's traffic to hosts.

import { IpProto } from "../capture/packet_batch.ts";
import { EMBRYO_WORDS, EmbryoTable } from "./embryo_table.ts";
import { hashKey, KEY_WORDS, KeyResult } from "./flow_key.ts";
import {
  ACTIVE_WORDS,
  B_BITS,
  B_SERVICE,
  B_TCP_A,
  B_TCP_B,
  B_TUNNEL,
  F_BYTES_AB,
  F_BYTES_BA,
  F_FIRST,
  F_LAST,
  type FlowStore,
  H_INSPECT,
  H_PENDING,
  INSPECT_DONE,
  MetaBit,
  W_ADDR,
  W_META,
  W_PKTS_AB,
  W_PKTS_BA,
  W_PORTS,
} from "./flow_store.ts";
import type { FlowTable } from "./flow_table.ts";
import type { HashIndex } from "./hash_index.ts";
import type { HostTable } from "./hosts.ts";
import { clearRecord, embryoClass, orientRecord, tcpRecord } from "./record_ops.ts";
import { l4Class, type SecondAccounting } from "./second_accounting.ts";
import { FlowBit } from "./tcp_state.ts";
import type { TimeSeries } from "./time_series.ts";

/** One-packet flows whose hosts are accounted as soon as their second is read, per second. */
const EAGER_HOSTS_PER_SECOND = 20_000;
/**
 * ...and at most this share of the host table. A busy host's traffic is accounted once a
 * second (second_accounting.ts), and early accounting may run at both ends of that second, so
 * up to two budgets of new hosts come in between: they must not fill the table, or they push
 * the busy hosts out as the least recent and their bytes are lost.
 */
const EAGER_HOSTS_TABLE_SHARE = 0.25;

/** What the ring needs of the engine that owns it. */
export interface FlowOwner {
  readonly flows: FlowTable;
  readonly acct: SecondAccounting;
  readonly hosts: HostTable;
  readonly series: TimeSeries;
  /** A new record id (counted as a flow started). */
  newId(): number;
  /** A new full flow for `key` starting at `ts`, making room when the table is full. */
  newFlow(key: Uint32Array, h: number, ts: number): number;
  /** A slot for `key` in the flow table, making room; the caller fills the record. */
  insertFlow(key: Uint32Array, h: number): number;
  /** Ends record `slot` of `store` for `reason`: history, listener, counters. */
  ended(store: FlowStore, slot: number, reason: number): void;
}

/** The embryo ring and what happens to its flows. */
export class SinglePacketFlows {
  readonly table: EmbryoTable;
  /** Embryos that got a second packet and became full flows. */
  promoted = 0;
  /** Embryos folded into aggregate records because the ring was full. */
  aggregated = 0;
  readonly #owner: FlowOwner;
  readonly #key = new Uint32Array(KEY_WORDS);
  /** Entries written before this were considered for eager host accounting. */
  #mark = 0;
  /** The second eager host accounting last ran in, and how much of its budget it used. */
  #eagerSecond = -1;
  #eagerUsed = 0;

  constructor(capacity: number, owner: FlowOwner, index: HashIndex, indexBase: number) {
    this.table = new EmbryoTable(capacity, index, indexBase);
    this.#owner = owner;
  }

  /**
   * Records a flow's first packet, at `second` and `nsec` (folding the oldest entry if the
   * ring is full). The time comes as two integers, and goes on as the whole second or written
   * in place: a float argument to a call V8 does not inline is a new heap number, and this runs
   * for every packet of a flood (48 MB per 3M packets, with the time passed as a float).
   */
  add(
    key: Uint32Array,
    h: number,
    second: number,
    nsec: number,
    len: number,
    result: number,
    flags: number,
    tunnel: number,
  ): void {
    const ts = second + nsec * 1e-9;
    const embryos = this.table;
    const oldest = embryos.nextSlot();
    if (embryos.alive(oldest)) this.#fold(oldest);
    const e = embryos.insert(key, h);
    const store = embryos.store;
    const r = e * EMBRYO_WORDS;
    const fromB = (result & KeyResult.FromB) !== 0;
    // The time is written here rather than passed: see above.
    clearRecord(store, e, 0, this.#owner.newId());
    store.f64[(r >> 1) + F_FIRST] = ts;
    store.f64[(r >> 1) + F_LAST] = ts;
    orientRecord(store, e, result, flags);
    if (fromB) {
      store.u32[r + W_PKTS_BA] = 1;
      store.f64[(r >> 1) + F_BYTES_BA] = len;
    } else {
      store.u32[r + W_PKTS_AB] = 1;
      store.f64[(r >> 1) + F_BYTES_AB] = len;
    }
    if (flags !== 0) tcpRecord(store, e, flags, fromB);
    store.u8[r * 4 + B_TUNNEL] = tunnel;
    // The series count by second, so the whole second will do.
    this.#owner.series.addPacket(second, len, l4Class(key[0] & 255), store.u8[r * 4 + B_SERVICE]);
    this.#owner.series.addApp(second, 1, len, 0);
  }

  /** Moves entry `e` (key `key`, hash `h`) into the flow table; returns its flow slot. */
  promote(e: number, key: Uint32Array, h: number): number {
    const owner = this.#owner;
    const s = owner.insertFlow(key, h);
    const src = this.table.store;
    const dst = owner.flows.store;
    const a = e * EMBRYO_WORDS;
    const b = s * ACTIVE_WORDS;
    // The ended-record part comes over; the per-second fields start empty.
    for (let w = KEY_WORDS; w < EMBRYO_WORDS; w++) dst.u32[b + w] = src.u32[a + w];
    for (let w = EMBRYO_WORDS; w < ACTIVE_WORDS; w++) dst.u32[b + w] = 0;
    dst.u16[b * 2 + H_PENDING] = 0;
    dst.u8[b * 4 + B_BITS] &= ~FlowBit.HostsDone;
    if ((src.u8[a * 4 + B_BITS] & FlowBit.HostsDone) === 0) this.#accountHosts(e);
    this.table.remove(e);
    this.promoted++;
    return s;
  }

  /** Ends entry `e` like any flow: its hosts get its packet, it goes to the history. */
  end(e: number, reason: number): void {
    const store = this.table.store;
    if ((store.u8[e * EMBRYO_WORDS * 4 + B_BITS] & FlowBit.HostsDone) === 0) {
      this.#accountHosts(e);
    }
    this.#owner.ended(store, e, reason);
    this.table.remove(e);
  }

  /** Ends every entry idle past its timeout (by class) at `nowSec`. */
  sweep(nowSec: number, timeouts: Float64Array): void {
    const embryos = this.table;
    const f64 = embryos.store.f64;
    const u32 = embryos.store.u32;
    for (let e = 0; e < embryos.slotsUsed; e++) {
      if (!embryos.alive(e)) continue;
      const r = e * EMBRYO_WORDS;
      const timeout = timeouts[embryoClass(u32[r + W_META])];
      if (nowSec - f64[(r >> 1) + F_LAST] > timeout) this.end(e, 0);
    }
  }

  /**
   * Accounts the packet of each entry written since the last call to its hosts, within
   * the eager budget per second of `second`; the rest wait until they are resolved.
   */
  accountNew(second: number): void {
    const embryos = this.table;
    const written = embryos.written;
    const capacity = embryos.capacity;
    const u8 = embryos.store.u8;
    const budget = Math.min(
      EAGER_HOSTS_PER_SECOND,
      Math.floor(this.#owner.hosts.maxHosts * EAGER_HOSTS_TABLE_SHARE),
    );
    if (second !== this.#eagerSecond) {
      this.#eagerSecond = second;
      this.#eagerUsed = 0;
    }
    for (let w = Math.max(this.#mark, written - capacity); w < written; w++) {
      if (this.#eagerUsed >= budget) break;
      const e = w % capacity;
      const b = e * EMBRYO_WORDS * 4 + B_BITS;
      if (!embryos.alive(e) || (u8[b] & FlowBit.HostsDone) !== 0) continue;
      this.#accountHosts(e);
      u8[b] |= FlowBit.HostsDone;
      this.#eagerUsed++;
    }
    this.#mark = written;
  }

  /** Accounts entry `e`'s one packet to its two hosts, in its own second. */
  #accountHosts(e: number): void {
    const store = this.table.store;
    const r = e * EMBRYO_WORDS;
    const u32 = store.u32;
    const v6 = (u32[r + W_META] & MetaBit.V6) !== 0 ? 1 : 0;
    const second = Math.floor(store.f64[(r >> 1) + F_FIRST]);
    const pktsAB = u32[r + W_PKTS_AB];
    const pktsBA = u32[r + W_PKTS_BA];
    const bytesAB = store.f64[(r >> 1) + F_BYTES_AB];
    const bytesBA = store.f64[(r >> 1) + F_BYTES_BA];
    const hosts = this.#owner.hosts;
    hosts.addTraffic(u32, r + W_ADDR, v6, second, bytesAB, pktsAB, bytesBA, pktsBA);
    hosts.addTraffic(u32, r + W_ADDR + 4, v6, second, bytesBA, pktsBA, bytesAB, pktsAB);
  }

  /** Folds entry `e` into the aggregate record of its server (see the file's comment). */
  #fold(e: number): void {
    const src = this.table.store;
    const a = e * EMBRYO_WORDS;
    const clientIsB = (src.u8[a * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
    const key = this.#key;
    const meta = src.u32[a + W_META];
    key[0] = (meta | MetaBit.Aggregate) >>> 0;
    // End A: the unspecified address (sorts first); end B: the server.
    const server = clientIsB ? a + W_ADDR : a + W_ADDR + 4;
    for (let w = 0; w < 4; w++) {
      key[1 + w] = 0;
      key[5 + w] = src.u32[server + w];
    }
    const ports = src.u32[a + W_PORTS];
    const icmp = (meta & 255) === IpProto.Icmp || (meta & 255) === IpProto.Icmpv6;
    key[9] = icmp ? 0 : clientIsB ? ports >>> 16 : ports & 0xffff;
    const h = hashKey(key);
    const owner = this.#owner;
    const ts = src.f64[(a >> 1) + F_FIRST];
    let s = owner.flows.find(key, h);
    if (s < 0) {
      s = owner.newFlow(key, h, ts);
      owner.flows.store.u8[s * ACTIVE_WORDS * 4 + B_SERVICE] = src.u8[a * 4 + B_SERVICE];
      owner.flows.store.u16[s * ACTIVE_WORDS * 2 + H_INSPECT] = INSPECT_DONE; // many flows: no name
    }
    const dst = owner.flows.store;
    const b = s * ACTIVE_WORDS;
    owner.acct.mark(s);
    // The entry's one packet: from the client (A->B) or from the server (B->A).
    const fromClient = src.u32[a + (clientIsB ? W_PKTS_BA : W_PKTS_AB)] > 0;
    const len = fromClient
      ? src.f64[(a >> 1) + (clientIsB ? F_BYTES_BA : F_BYTES_AB)]
      : src.f64[(a >> 1) + (clientIsB ? F_BYTES_AB : F_BYTES_BA)];
    const clientFlags = src.u8[a * 4 + (clientIsB ? B_TCP_B : B_TCP_A)];
    const serverFlags = src.u8[a * 4 + (clientIsB ? B_TCP_A : B_TCP_B)];
    if (fromClient) {
      dst.u32[b + W_PKTS_AB]++;
      dst.f64[(b >> 1) + F_BYTES_AB] += len;
      dst.u8[b * 4 + B_TCP_A] |= clientFlags;
    } else {
      dst.u32[b + W_PKTS_BA]++;
      dst.f64[(b >> 1) + F_BYTES_BA] += len;
      dst.u8[b * 4 + B_TCP_B] |= serverFlags;
    }
    if (ts > dst.f64[(b >> 1) + F_LAST]) dst.f64[(b >> 1) + F_LAST] = ts;
    if (ts < dst.f64[(b >> 1) + F_FIRST]) dst.f64[(b >> 1) + F_FIRST] = ts;
    // Its hosts already have this packet: keep it out of the aggregate's gain.
    if ((src.u8[a * 4 + B_BITS] & FlowBit.HostsDone) !== 0) owner.acct.exclude(s, len, !fromClient);
    this.table.remove(e);
    this.aggregated++;
  }
}
