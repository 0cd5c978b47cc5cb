// The flow engine: packets in, bidirectional flows, history, hosts and time series out.
//
// add(batch) is the packet path: per packet it builds the key in a scratch array, finds the flow
// (or its single-packet embryo) and updates the record in place. No objects, strings, closures
// or exceptions per packet. A new flow whose first packet has nothing to inspect (TCP without
// payload, ICMP) starts in the embryo ring (embryo_table.ts) and becomes a full flow at its second
// packet; when the ring is full its oldest entry is folded into an aggregate record per server,
// so a flood is summarised and counted instead of turning the flow table and history over.
// tick(now) ends idle flows (a sweep of the tables, once per second of packet time) and prunes
// the history; time is packet time, so a file replays the same way whatever the wall clock.

import { IpProto, type PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { EmbryoTable } from "./embryo_table.ts";
import { type FlowConfig, resolveFlowConfig } from "./flow_config.ts";
import { hashKey, isFlowPacket, KEY_WORDS, KeyResult, packetKey } from "./flow_key.ts";
import { FlowHistory } from "./flow_history.ts";
import {
  ACTIVE_WORDS,
  B_BITS,
  B_HOSTS_DONE,
  B_INSPECT,
  B_SERVICE,
  B_TCP_A,
  B_TCP_B,
  B_TUNNEL,
  F_BYTES_AB,
  F_BYTES_BA,
  F_FIRST,
  F_ID,
  F_LAST,
  type FlowStore,
  H_APP,
  H_PENDING,
  MetaBit,
  W_ADDR,
  W_META,
  W_NAME,
  W_PKTS_AB,
  W_PKTS_BA,
  W_PORTS,
  W_RATE_SECOND,
} from "./flow_store.ts";
import { type FlowRecord, flowRecord } from "./flow_record.ts";
import { FlowTable, rebuildIndexOf } from "./flow_table.ts";
import { HashIndex } from "./hash_index.ts";
import { HostTable } from "./hosts.ts";
import { type FlowPage, type FlowQuery, type FlowSource, queryFlows } from "./query.ts";
import { l4Class, SecondAccounting } from "./second_accounting.ts";
import { serviceIndex } from "./services.ts";
import { FlowBit, tcpClosed, TcpFlag, updateTcpBits } from "./tcp_state.ts";
import { L4Class, TimeSeries } from "./time_series.ts";

/** Why a flow record ended (stored in the record; IPFIX's flowEndReason follows from it). */
export const EndReason = {
  /** No packet within the idle timeout of its class. */
  Idle: 0,
  /** Longer than the active timeout: the flow goes on as a new record. */
  Active: 1,
  /** The table was full and this flow was among the least recently seen. */
  Evicted: 2,
  /** The capture ended or Netwatch stopped (endAll()). */
  Forced: 3,
} as const;

/** Names of EndReason values, for output. */
export const END_REASON_NAMES: readonly string[] = ["idle", "active", "evicted", "forced"];

/**
 * Called with each record as it ends, while the slot still holds it (read it with
 * flowRecord() or the store; do not keep the slot). Runs on the packet path.
 */
export type FlowEndListener = (store: FlowStore, slot: number, reason: number) => void;

/** Options of a FlowEngine: configuration overrides and an optional end listener. */
export interface FlowEngineOptions extends Partial<FlowConfig> {
  onFlowEnd?: FlowEndListener;
  /** Added to every record id, and ids step by `idStride`: shards of one monitor never clash. */
  idOffset?: number;
  idStride?: number;
}

/** Timeout classes: TCP open, TCP closed, UDP, ICMP, other. */
const TIMEOUT_CLASSES = 5;
/**
 * One-packet flows whose packet is accounted to its hosts as soon as the second is read, per
 * second of traffic. Beyond it (a flood, a scan) hosts get a one-packet flow's packet only
 * when the flow is promoted or ends, so random sources never churn the host table.
 */
const EMBRYO_HOSTS_PER_SECOND = 20_000;

/** Bidirectional flow accounting with bounded state. */
export class FlowEngine {
  readonly config: FlowConfig;
  readonly table: FlowTable;
  readonly embryos: EmbryoTable;
  /**
   * One index over both: full flows are entries [0, maxActiveFlows), one-packet flows the
   * entries after, so finding a packet's flow costs one probe whichever table holds it.
   */
  readonly #index: HashIndex;
  readonly history: FlowHistory;
  readonly #hosts: HostTable;
  readonly #series: TimeSeries;
  readonly #acct: SecondAccounting;
  /** Latest packet time seen (epoch seconds); 0 before any. */
  now = 0;
  /** Packets given to add(). */
  packets = 0;
  /** Packets that were not IP (non-IP, undecoded link types, invalid headers): no flow. */
  nonFlowPackets = 0;
  /** IP packets whose transport protocol could not be reached (cut-short IPv6 chains): no flow. */
  ipNoProtoPackets = 0;
  /** Flow records started (embryos included) and ended, by reason. */
  flowsStarted = 0;
  endedIdle = 0;
  endedActive = 0;
  evicted = 0;
  endedForced = 0;
  /** One-packet flows folded into aggregate records because the embryo ring was full. */
  aggregated = 0;
  /** Embryos that got a second packet and became full flows. */
  promoted = 0;
  private readonly timeouts = new Float64Array(TIMEOUT_CLASSES);
  private readonly activeTimeout: number;
  private readonly key = new Uint32Array(KEY_WORDS);
  /** fold()'s own key, so that folding never overwrites the key of the packet being added. */
  private readonly foldKey = new Uint32Array(KEY_WORDS);
  private readonly onFlowEnd: FlowEndListener | undefined;
  private nextId: number;
  private readonly idStride: number;
  /** Embryos written before this were considered for host accounting (accountNewEmbryos()). */
  private embryoMark = 0;
  /** The second eager embryo accounting last ran in, and how much of its budget it used. */
  private eagerSecond = -1;
  private eagerUsed = 0;

  constructor(options: FlowEngineOptions = {}) {
    const { onFlowEnd, idOffset = 0, idStride = 1, ...overrides } = options;
    this.config = resolveFlowConfig(overrides);
    const c = this.config;
    this.#index = new HashIndex(c.maxActiveFlows + c.maxEmbryos, 1024);
    this.table = new FlowTable(c.maxActiveFlows, this.#index, 0);
    this.embryos = new EmbryoTable(c.maxEmbryos, this.#index, c.maxActiveFlows);
    const rebuild = (records: number) =>
      rebuildIndexOf(this.#index, [this.table, this.embryos], records);
    this.table.rebuildIndex = rebuild;
    this.embryos.rebuildIndex = rebuild;
    this.history = new FlowHistory(c.maxHistoryRecords, c.historyRetentionSec);
    this.#hosts = new HostTable(c.maxHosts);
    this.#series = new TimeSeries();
    this.#acct = new SecondAccounting(this.table.store, this.#hosts, this.#series);
    this.timeouts[0] = c.tcpTimeoutSec;
    this.timeouts[1] = c.tcpClosedTimeoutSec;
    this.timeouts[2] = c.udpTimeoutSec;
    this.timeouts[3] = c.icmpTimeoutSec;
    this.timeouts[4] = c.otherTimeoutSec;
    this.activeTimeout = c.activeTimeoutSec;
    this.onFlowEnd = onFlowEnd;
    this.nextId = 1 + idOffset;
    this.idStride = idStride;
  }

  /** Traffic per host; reading it first accounts the pending traffic of the current second. */
  get hosts(): HostTable {
    this.settle();
    return this.#hosts;
  }

  /** Traffic per second and minute; reading it first accounts pending traffic, as hosts does. */
  get series(): TimeSeries {
    this.settle();
    return this.#series;
  }

  /** Accounts everything pending: flows' gains of the second, new one-packet flows' hosts. */
  private settle(): void {
    this.#acct.flush();
    this.accountNewEmbryos();
  }

  /**
   * Accounts the packet of each one-packet flow written since the last call to its hosts,
   * within EMBRYO_HOSTS_PER_SECOND per second; the rest wait until they are resolved.
   */
  private accountNewEmbryos(): void {
    const embryos = this.embryos;
    const written = embryos.written;
    const capacity = embryos.capacity;
    const u8 = embryos.store.u8;
    const second = this.#acct.second;
    if (second !== this.eagerSecond) {
      this.eagerSecond = second;
      this.eagerUsed = 0;
    }
    for (let w = Math.max(this.embryoMark, written - capacity); w < written; w++) {
      if (this.eagerUsed >= EMBRYO_HOSTS_PER_SECOND) break;
      const e = w % capacity;
      if (!embryos.alive(e) || u8[e * ACTIVE_WORDS * 4 + B_HOSTS_DONE] !== 0) continue;
      this.accountEmbryoHosts(embryos.store, e);
      u8[e * ACTIVE_WORDS * 4 + B_HOSTS_DONE] = 1;
      this.eagerUsed++;
    }
    this.embryoMark = written;
  }

  /** Accounts every packet of `batch`. */
  add(batch: PacketBatch): void {
    const n = batch.count;
    const { tsSec, tsNsec, wireLen, tcpFlags, proto } = batch;
    const key = this.key;
    const table = this.table;
    const embryos = this.embryos;
    const acct = this.#acct;
    const u32 = table.store.u32;
    const f64 = table.store.f64;
    const u8 = table.store.u8;
    const maxFlows = table.maxFlows;
    for (let i = 0; i < n; i++) {
      const second = tsSec[i];
      const ts = second + tsNsec[i] * 1e-9;
      const len = wireLen[i];
      if (second > acct.second) {
        this.settle();
        acct.second = second;
      }
      if (ts > this.now) this.now = ts;
      this.packets++;
      if (!isFlowPacket(batch, i)) {
        this.addNonFlow(batch, i, ts, len);
        continue;
      }
      const result = packetKey(batch, i, key);
      const fromB = (result & KeyResult.FromB) !== 0;
      const flags = proto[i] === IpProto.Tcp ? tcpFlags[i] : 0;
      const h = hashKey(key);
      let s = this.find(key, h);
      let e = -1;
      if (s >= maxFlows) {
        e = s - maxFlows;
        s = -1;
      }
      if (s >= 0) {
        const r = s * ACTIVE_WORDS;
        if (ts - f64[(r >> 1) + F_LAST] > this.timeouts[this.timeoutClass(s)]) {
          this.endRecord(s, EndReason.Idle);
          this.startRecord(s, ts, 0);
          this.orient(s, result, flags);
        } else if (ts - f64[(r >> 1) + F_FIRST] > this.activeTimeout) {
          this.endRecord(s, EndReason.Active);
          // The connection goes on: keep its orientation and handshake.
          this.startRecord(s, ts, u8[r * 4 + B_BITS]);
        }
      } else {
        if (e >= 0 && ts - embryos.firstTs(e) > this.timeouts[embryoClass(key[0])]) {
          // Its one packet timed out before this one came (no sweep ran in between).
          this.endEmbryo(e, EndReason.Idle);
          e = -1;
        }
        if (e >= 0) {
          s = this.promote(e, key, h);
        } else if (this.startsAsEmbryo(batch, i)) {
          this.addEmbryo(key, h, ts, len, result, flags);
          continue;
        } else {
          s = this.newFlow(key, h, ts);
          this.orient(s, result, flags);
        }
      }
      const r = s * ACTIVE_WORDS;
      const late = second < acct.second;
      if (!late) acct.mark(s);
      if (fromB) {
        u32[r + W_PKTS_BA]++;
        f64[(r >> 1) + F_BYTES_BA] += len;
      } else {
        u32[r + W_PKTS_AB]++;
        f64[(r >> 1) + F_BYTES_AB] += len;
      }
      if (ts > f64[(r >> 1) + F_LAST]) f64[(r >> 1) + F_LAST] = ts;
      if (ts < f64[(r >> 1) + F_FIRST]) f64[(r >> 1) + F_FIRST] = ts;
      if (flags !== 0 && (u32[r + W_META] & MetaBit.NoPorts) === 0) this.updateTcp(s, flags, fromB);
      if (late) acct.late(s, second, len, fromB);
    }
  }

  /**
   * Ends flows idle past their timeout at `nowSec` (packet time) and prunes the history. It
   * sweeps every record (about 2 ns a flow): call it about once a second, not per batch.
   */
  tick(nowSec: number = this.now): void {
    this.sweep(nowSec);
    this.history.prune(nowSec);
  }

  /** Ends every flow and embryo now (shutdown, end of a file): reason Forced. */
  endAll(): void {
    const table = this.table;
    for (let s = 0; s < table.slotsUsed; s++) {
      if (!table.inUse(s)) continue;
      this.endRecord(s, EndReason.Forced);
      table.remove(s);
    }
    const embryos = this.embryos;
    for (let e = 0; e < embryos.slotsUsed; e++) {
      if (embryos.alive(e)) this.endEmbryo(e, EndReason.Forced);
    }
  }

  /** Counts packets the kernel or interface dropped, at time `nowSec`. */
  addDrops(nowSec: number, dropped: number): void {
    this.#series.addDrops(nowSec, dropped);
  }

  /** The record sets queries read: active flows, one-packet flows, then the history. */
  get sources(): FlowSource[] {
    const { table, embryos, history } = this;
    return [
      {
        store: table.store,
        active: true,
        bound: table.slotsUsed,
        slots(sel) {
          let n = 0;
          for (let s = 0; s < table.slotsUsed; s++) if (table.inUse(s)) sel[n++] = s;
          return n;
        },
      },
      {
        store: embryos.store,
        active: true,
        bound: embryos.slotsUsed,
        slots(sel) {
          let n = 0;
          for (let e = 0; e < embryos.slotsUsed; e++) if (embryos.alive(e)) sel[n++] = e;
          return n;
        },
      },
      {
        store: history.store,
        active: false,
        bound: history.count,
        slots(sel) {
          for (let k = 0; k < history.count; k++) sel[k] = history.slotAt(k);
          return history.count;
        },
      },
    ];
  }

  /** A page of active and ended flows (see query.ts); throws TypeError/RangeError on bad input. */
  query(query: FlowQuery): FlowPage {
    this.settle();
    return queryFlows(this.sources, query, Math.max(this.now, this.#acct.second));
  }

  /** Records of every active flow, one-packet flows included (not for the packet path). */
  activeRecords(): FlowRecord[] {
    const out: FlowRecord[] = [];
    const sel = new Int32Array(Math.max(this.table.slotsUsed, this.embryos.slotsUsed));
    for (const source of this.sources.slice(0, 2)) {
      const n = source.slots(sel);
      for (let k = 0; k < n; k++) out.push(flowRecord(source.store, sel[k], true, this.now));
    }
    return out;
  }

  /** Records of the history, oldest ended first. */
  endedRecords(): FlowRecord[] {
    const out: FlowRecord[] = [];
    const history = this.history;
    for (let n = 0; n < history.count; n++) {
      out.push(flowRecord(history.store, history.slotAt(n), false));
    }
    return out;
  }

  /** The record with id `id`, active or in the history, or undefined. */
  flowById(id: number): FlowRecord | undefined {
    this.settle();
    const sources = this.sources;
    const sel = new Int32Array(Math.max(...sources.map((source) => source.bound)));
    for (const source of sources) {
      const n = source.slots(sel);
      for (let k = 0; k < n; k++) {
        if (source.store.id(sel[k]) === id) {
          return flowRecord(source.store, sel[k], source.active, this.now);
        }
      }
    }
    return undefined;
  }

  /** Flows ended so far, by any reason. */
  get flowsEnded(): number {
    return this.endedIdle + this.endedActive + this.evicted + this.endedForced;
  }

  /** Flows being tracked: full records and one-packet embryos. */
  get activeFlows(): number {
    return this.table.count + this.embryos.count;
  }

  /**
   * The flow with `key` (hash `h`): a full flow's slot, an embryo's slot + maxActiveFlows, or -1.
   */
  private find(key: Uint32Array, h: number): number {
    const index = this.#index;
    const maxFlows = this.table.maxFlows;
    const t32 = this.table.store.u32;
    const e32 = this.embryos.store.u32;
    for (let x = index.first(h); x >= 0; x = index.next()) {
      const u32 = x < maxFlows ? t32 : e32;
      const r = (x < maxFlows ? x : x - maxFlows) * ACTIVE_WORDS;
      if (
        u32[r] === key[0] && u32[r + 9] === key[9] && u32[r + 1] === key[1] &&
        u32[r + 5] === key[5] && u32[r + 2] === key[2] && u32[r + 3] === key[3] &&
        u32[r + 4] === key[4] && u32[r + 6] === key[6] && u32[r + 7] === key[7] &&
        u32[r + 8] === key[8]
      ) return x;
    }
    return -1;
  }

  /** The timeout class of full flow `s`: TCP open or closed, UDP, ICMP, other. */
  private timeoutClass(s: number): number {
    const r = s * ACTIVE_WORDS;
    const u8 = this.table.store.u8;
    const meta = this.table.store.u32[r + W_META];
    const proto = meta & 255;
    if (proto === IpProto.Tcp && (meta & MetaBit.NoPorts) === 0) {
      return tcpClosed(u8[r * 4 + B_TCP_A], u8[r * 4 + B_TCP_B]) ? 1 : 0;
    }
    if (proto === IpProto.Udp) return 2;
    if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return 3;
    return 4;
  }

  /** Ends idle full flows and embryos. */
  private sweep(nowSec: number): void {
    const table = this.table;
    const f64 = table.store.f64;
    for (let s = 0; s < table.slotsUsed; s++) {
      if (!table.inUse(s)) continue;
      const last = f64[((s * ACTIVE_WORDS) >> 1) + F_LAST];
      if (nowSec - last > this.timeouts[this.timeoutClass(s)]) {
        this.endRecord(s, EndReason.Idle);
        table.remove(s);
      }
    }
    const embryos = this.embryos;
    const e64 = embryos.store.f64;
    const e32 = embryos.store.u32;
    for (let e = 0; e < embryos.slotsUsed; e++) {
      if (!embryos.alive(e)) continue;
      const r = e * ACTIVE_WORDS;
      const cls = embryoClass(e32[r + W_META]);
      if (nowSec - e64[(r >> 1) + F_LAST] > this.timeouts[cls]) this.endEmbryo(e, EndReason.Idle);
    }
  }

  /** A packet with no flow: non-IP, undecoded, invalid, or IP with its transport unreachable. */
  private addNonFlow(batch: PacketBatch, i: number, ts: number, len: number): void {
    const kind = batch.kind[i];
    if (kind === PacketKind.Ipv4 || kind === PacketKind.Ipv6) {
      this.ipNoProtoPackets++;
      this.#hosts.addPacket(batch, i, len);
    } else {
      this.nonFlowPackets++;
    }
    this.#series.addPacket(ts, len, L4Class.NonFlow, 0);
  }

  /** True when packet `i` opens its flow in the embryo ring: nothing in it to inspect. */
  private startsAsEmbryo(batch: PacketBatch, i: number): boolean {
    const p = batch.proto[i];
    return p === IpProto.Tcp || p === IpProto.Icmp || p === IpProto.Icmpv6;
  }

  /** A new full flow for `key`, making room if the table is full. */
  private newFlow(key: Uint32Array, h: number, ts: number): number {
    const table = this.table;
    if (table.full) {
      const victim = table.victim();
      this.endRecord(victim, EndReason.Evicted);
      table.remove(victim);
    }
    const s = table.insert(key, h);
    this.startRecord(s, ts, 0);
    return s;
  }

  /** Records a flow's first packet in the embryo ring (folding the oldest entry if it is full). */
  private addEmbryo(
    key: Uint32Array,
    h: number,
    ts: number,
    len: number,
    result: number,
    flags: number,
  ): void {
    const embryos = this.embryos;
    const oldest = embryos.nextSlot();
    if (embryos.alive(oldest)) this.fold(oldest);
    const e = embryos.insert(key, h);
    const store = embryos.store;
    const r = e * ACTIVE_WORDS;
    const fromB = (result & KeyResult.FromB) !== 0;
    clearRecord(store, e, ts, this.nextId);
    this.nextId += this.idStride;
    this.flowsStarted++;
    orientRecord(store, e, result, flags);
    if (fromB) {
      store.u32[r + W_PKTS_BA] = 1;
      store.f64[(r >> 1) + F_BYTES_BA] = len;
    } else {
      store.u32[r + W_PKTS_AB] = 1;
      store.f64[(r >> 1) + F_BYTES_AB] = len;
    }
    if (flags !== 0) tcpRecord(store, e, flags, fromB);
    // The series count the packet now; hosts wait until the flow is promoted or ends, so that
    // a flood's random sources never churn the host table.
    this.#series.addPacket(ts, len, l4Class(key[0] & 255), store.u8[r * 4 + B_SERVICE]);
  }

  /** Moves embryo `e` (whose key is `key`, hash `h`) into the flow table; returns its slot. */
  private promote(e: number, key: Uint32Array, h: number): number {
    const table = this.table;
    if (table.full) {
      const victim = table.victim();
      this.endRecord(victim, EndReason.Evicted);
      table.remove(victim);
    }
    const s = table.insert(key, h);
    const src = this.embryos.store.u32;
    const dst = table.store.u32;
    const a = e * ACTIVE_WORDS;
    const b = s * ACTIVE_WORDS;
    for (let w = KEY_WORDS; w < ACTIVE_WORDS; w++) dst[b + w] = src[a + w];
    table.store.u16[b * 2 + H_PENDING] = 0;
    table.store.u8[b * 4 + B_HOSTS_DONE] = 0;
    if (this.embryos.store.u8[a * 4 + B_HOSTS_DONE] === 0) {
      this.accountEmbryoHosts(this.embryos.store, e);
    }
    this.embryos.remove(e);
    this.promoted++;
    return s;
  }

  /** Accounts an embryo's one packet to its two hosts, in its own second. */
  private accountEmbryoHosts(store: FlowStore, e: number): void {
    const r = e * ACTIVE_WORDS;
    const u32 = store.u32;
    const v6 = (u32[r + W_META] & MetaBit.V6) !== 0 ? 1 : 0;
    const second = Math.floor(store.f64[(r >> 1) + F_FIRST]);
    const pktsAB = u32[r + W_PKTS_AB];
    const pktsBA = u32[r + W_PKTS_BA];
    const bytesAB = store.f64[(r >> 1) + F_BYTES_AB];
    const bytesBA = store.f64[(r >> 1) + F_BYTES_BA];
    this.#hosts.addTraffic(u32, r + W_ADDR, v6, second, bytesAB, pktsAB, bytesBA, pktsBA);
    this.#hosts.addTraffic(u32, r + W_ADDR + 4, v6, second, bytesBA, pktsBA, bytesAB, pktsAB);
  }

  /** Ends embryo `e` like any flow: its hosts are accounted, it goes to the history. */
  private endEmbryo(e: number, reason: number): void {
    const store = this.embryos.store;
    if (store.u8[e * ACTIVE_WORDS * 4 + B_HOSTS_DONE] === 0) this.accountEmbryoHosts(store, e);
    this.history.push(store, e, reason);
    if (this.onFlowEnd !== undefined) this.onFlowEnd(store, e, reason);
    this.countEnd(reason);
    this.embryos.remove(e);
  }

  /**
   * Folds embryo `e` (the oldest, when the ring is full) into the aggregate record of its
   * server: client address and port zero, MetaBit.Aggregate. The aggregate is a full flow, so it
   * is listed, timed out, exported and stored like one; its packets count one flow each.
   */
  private fold(e: number): void {
    const src = this.embryos.store;
    const a = e * ACTIVE_WORDS;
    const clientIsB = (src.u8[a * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
    const key = this.foldKey;
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
    const serverPort = icmp ? 0 : clientIsB ? ports >>> 16 : ports & 0xffff;
    key[9] = serverPort;
    const h = hashKey(key);
    const table = this.table;
    let s = table.find(key, h);
    const ts = src.f64[(a >> 1) + F_FIRST];
    if (s < 0) {
      s = this.newFlow(key, h, ts);
      const u8 = table.store.u8;
      u8[s * ACTIVE_WORDS * 4 + B_SERVICE] = src.u8[a * 4 + B_SERVICE];
    }
    const dst = table.store;
    const b = s * ACTIVE_WORDS;
    this.#acct.mark(s);
    // The embryo's one packet: from the client (A->B) or from the server (B->A).
    const fromClient = (src.u32[a + (clientIsB ? W_PKTS_BA : W_PKTS_AB)]) > 0;
    const len = fromClient
      ? src.f64[(a >> 1) + (clientIsB ? F_BYTES_BA : F_BYTES_AB)]
      : src.f64[(a >> 1) + (clientIsB ? F_BYTES_AB : F_BYTES_BA)];
    if (fromClient) {
      dst.u32[b + W_PKTS_AB]++;
      dst.f64[(b >> 1) + F_BYTES_AB] += len;
      dst.u8[b * 4 + B_TCP_A] |= clientIsB ? src.u8[a * 4 + B_TCP_B] : src.u8[a * 4 + B_TCP_A];
    } else {
      dst.u32[b + W_PKTS_BA]++;
      dst.f64[(b >> 1) + F_BYTES_BA] += len;
      dst.u8[b * 4 + B_TCP_B] |= clientIsB ? src.u8[a * 4 + B_TCP_A] : src.u8[a * 4 + B_TCP_B];
    }
    if (ts > dst.f64[(b >> 1) + F_LAST]) dst.f64[(b >> 1) + F_LAST] = ts;
    if (ts < dst.f64[(b >> 1) + F_FIRST]) dst.f64[(b >> 1) + F_FIRST] = ts;
    // Its hosts already have this packet: keep it out of the aggregate's gain.
    if (src.u8[a * 4 + B_HOSTS_DONE] !== 0) this.#acct.exclude(s, len, !fromClient);
    this.embryos.remove(e);
    this.aggregated++;
  }

  private endRecord(s: number, reason: number): void {
    const store = this.table.store;
    this.#acct.settle(s);
    this.history.push(store, s, reason);
    if (this.onFlowEnd !== undefined) this.onFlowEnd(store, s, reason);
    this.countEnd(reason);
  }

  private countEnd(reason: number): void {
    if (reason === EndReason.Idle) this.endedIdle++;
    else if (reason === EndReason.Active) this.endedActive++;
    else if (reason === EndReason.Evicted) this.evicted++;
    else this.endedForced++;
  }

  /** Resets full flow `s` (key kept) as a new record starting at `ts` with FlowBit `bits`. */
  private startRecord(s: number, ts: number, bits: number): void {
    const store = this.table.store;
    const keep = store.u8[s * ACTIVE_WORDS * 4 + B_SERVICE];
    clearRecord(store, s, ts, this.nextId);
    this.nextId += this.idStride;
    store.u8[s * ACTIVE_WORDS * 4 + B_BITS] = bits;
    if (bits === 0) setService(store, s);
    else store.u8[s * ACTIVE_WORDS * 4 + B_SERVICE] = keep;
    this.flowsStarted++;
  }

  /** Orients new flow `s` from its first packet (see orientRecord()). */
  private orient(s: number, result: number, tcpFlags: number): void {
    orientRecord(this.table.store, s, result, tcpFlags);
  }

  /** OR's the segment's flags into its direction of flow `s`. */
  private updateTcp(s: number, flags: number, fromB: boolean): void {
    tcpRecord(this.table.store, s, flags, fromB);
  }
}

/** The timeout class of a one-packet flow with key word `meta`: TCP open, UDP, ICMP, other. */
function embryoClass(meta: number): number {
  const proto = meta & 255;
  if (proto === IpProto.Tcp) return 0;
  if (proto === IpProto.Udp) return 2;
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return 3;
  return 4;
}

/** Zeroes record `s` apart from its key, starting at `ts` with id `id`. */
function clearRecord(store: FlowStore, s: number, ts: number, id: number): void {
  const r = s * ACTIVE_WORDS;
  const u32 = store.u32;
  const f64 = store.f64;
  u32[r + W_PKTS_AB] = 0;
  u32[r + W_PKTS_BA] = 0;
  f64[(r >> 1) + F_BYTES_AB] = 0;
  f64[(r >> 1) + F_BYTES_BA] = 0;
  f64[(r >> 1) + F_FIRST] = ts;
  f64[(r >> 1) + F_LAST] = ts;
  f64[(r >> 1) + F_ID] = id;
  u32[r + 22] = 0; // TCP flags both ways, FlowBit, service
  u32[r + W_NAME] = 0;
  store.u16[r * 2 + H_APP] = 0;
  store.u8[r * 4 + B_TUNNEL] = 0;
  store.u8[r * 4 + B_INSPECT] = 0;
  store.u8[r * 4 + B_HOSTS_DONE] = 0;
  store.u16[r * 2 + H_PENDING] = 0;
  u32[r + W_RATE_SECOND] = 0;
  u32[r + W_RATE_SECOND + 1] = 0;
  u32[r + W_RATE_SECOND + 2] = 0;
  u32[r + W_RATE_SECOND + 3] = 0;
}

/**
 * Orients a new record: the sender of its first packet is the client, unless that packet is an
 * answer (ICMP echo reply and the like, or a TCP SYN-ACK), whose sender is the server.
 */
function orientRecord(store: FlowStore, s: number, result: number, tcpFlags: number): void {
  const fromB = (result & KeyResult.FromB) !== 0;
  const answer = (result & KeyResult.Reply) !== 0 ||
    (tcpFlags & (TcpFlag.Syn | TcpFlag.Ack)) === (TcpFlag.Syn | TcpFlag.Ack);
  if (fromB !== answer) store.u8[s * ACTIVE_WORDS * 4 + B_BITS] |= FlowBit.ClientIsB;
  setService(store, s);
}

/** OR's a segment's flags into its direction; a SYN (without ACK) names the client. */
function tcpRecord(store: FlowStore, s: number, flags: number, fromB: boolean): void {
  const u8 = store.u8;
  const b = s * ACTIVE_WORDS * 4;
  if (fromB) u8[b + B_TCP_B] |= flags;
  else u8[b + B_TCP_A] |= flags;
  const before = u8[b + B_BITS];
  let bits = updateTcpBits(before, flags, fromB);
  if (bits !== before && (flags & (TcpFlag.Syn | TcpFlag.Ack)) === TcpFlag.Syn) {
    const clientIsB = (bits & FlowBit.ClientIsB) !== 0;
    const clientSyn = (bits & (clientIsB ? FlowBit.SynB : FlowBit.SynA)) !== 0;
    const serverSyn = (bits & (clientIsB ? FlowBit.SynA : FlowBit.SynB)) !== 0;
    // The first pure SYN seen comes from the server end: that end is the client after all.
    if (serverSyn && !clientSyn) {
      bits ^= FlowBit.ClientIsB;
      u8[b + B_BITS] = bits;
      setService(store, s);
      return;
    }
  }
  u8[b + B_BITS] = bits;
}

/** Sets the service of record `s` from its server port. */
function setService(store: FlowStore, s: number): void {
  const r = s * ACTIVE_WORDS;
  const u8 = store.u8;
  const meta = store.u32[r + W_META];
  const ports = store.u32[r + W_PORTS];
  const clientIsB = (u8[r * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
  const server = clientIsB ? ports >>> 16 : ports & 0xffff;
  const client = clientIsB ? ports & 0xffff : ports >>> 16;
  u8[r * 4 + B_SERVICE] = meta & MetaBit.NoPorts ? 0 : serviceIndex(meta & 255, server, client);
}
