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
import type { EmbryoTable } from "./embryo_table.ts";
import { type FlowConfig, resolveFlowConfig } from "./flow_config.ts";
import { hashKey, isFlowPacket, KEY_WORDS, KeyResult, packetKey } from "./flow_key.ts";
import { EndReason, type FlowEndListener } from "./flow_end.ts";
import { FlowHistory } from "./flow_history.ts";
import {
  ACTIVE_WORDS,
  B_TUNNEL,
  F_BYTES_AB,
  F_BYTES_BA,
  F_FIRST,
  F_LAST,
  type FlowStore,
  H_INSPECT,
  INSPECT_DONE,
  MetaBit,
  W_META,
  W_PKTS_AB,
  W_PKTS_BA,
} from "./flow_store.ts";
import { flowSources, recordById, recordsOf } from "./flow_sources.ts";
import type { FlowRecord } from "./flow_record.ts";
import { findFlowOrEmbryo, FlowTable } from "./flow_table.ts";
import { type FlowOwner, SinglePacketFlows } from "./single_packet_flows.ts";
import {
  embryoClass,
  opensAsEmbryo,
  orientRecord,
  restartRecord,
  tcpRecord,
  timeoutClassOf,
} from "./record_ops.ts";
import { endInspection, inspectRecord } from "./identity/record_inspect.ts";
import { HashIndex, rebuildIndexOf } from "./hash_index.ts";
import type { Identity } from "./identity/identity.ts";
import { HostTable } from "./hosts.ts";
import { type FlowPage, type FlowQuery, type FlowSource, queryFlows } from "./query.ts";
import { SecondAccounting } from "./second_accounting.ts";
import { L4Class, TimeSeries } from "./time_series.ts";

export { END_REASON_NAMES, EndReason, type FlowEndListener } from "./flow_end.ts";

/** Options of a FlowEngine: configuration overrides and an optional end listener. */
export interface FlowEngineOptions extends Partial<FlowConfig> {
  onFlowEnd?: FlowEndListener;
  /** Payload inspection, names and places; without it flows get no name or app. */
  identity?: Identity;
  /** Added to every record id, and ids step by `idStride`: shards of one monitor never clash. */
  idOffset?: number;
  idStride?: number;
}

/** Timeout classes: TCP open, TCP closed, UDP, ICMP, other. */
const TIMEOUT_CLASSES = 5;

/** Bidirectional flow accounting with bounded state. */
export class FlowEngine {
  readonly config: FlowConfig;
  readonly table: FlowTable;
  /** One-packet flows: the embryo ring and what becomes of them. */
  readonly single: SinglePacketFlows;
  /**
   * One index over both: full flows are entries [0, maxActiveFlows), one-packet flows the
   * entries after, so finding a packet's flow costs one probe whichever table holds it.
   */
  readonly #index: HashIndex;
  readonly history: FlowHistory;
  /** Names, apps and places (undefined: none are looked for). */
  readonly identity: Identity | undefined;
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
  private readonly timeouts = new Float64Array(TIMEOUT_CLASSES);
  private readonly activeTimeout: number;
  /** The shortest idle timeout of any class: a flow idle for less is not looked at further. */
  private readonly minTimeout: number;
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly onFlowEnd: FlowEndListener | undefined;
  private nextId: number;
  private readonly idStride: number;

  constructor(options: FlowEngineOptions = {}) {
    const { onFlowEnd, idOffset = 0, idStride = 1, identity, ...overrides } = options;
    this.identity = identity;
    this.config = resolveFlowConfig(overrides);
    const c = this.config;
    this.#index = new HashIndex(c.maxActiveFlows + c.maxEmbryos, 1024);
    this.table = new FlowTable(c.maxActiveFlows, this.#index, 0);
    this.history = new FlowHistory(c.maxHistoryRecords, c.historyRetentionSec, identity?.names);
    this.#hosts = new HostTable(c.maxHosts);
    this.#series = new TimeSeries();
    this.#acct = new SecondAccounting(this.table.store, this.#hosts, this.#series);
    const owner: FlowOwner = {
      flows: this.table,
      acct: this.#acct,
      hosts: this.#hosts,
      series: this.#series,
      newId: () => {
        const id = this.nextId;
        this.nextId += this.idStride;
        this.flowsStarted++;
        return id;
      },
      newFlow: (key, h, ts) => this.newFlow(key, h, ts),
      insertFlow: (key, h) => this.insertFlow(key, h),
      ended: (store, slot, reason) => this.ended(store, slot, reason),
    };
    this.single = new SinglePacketFlows(c.maxEmbryos, owner, this.#index, c.maxActiveFlows);
    const rebuild = (records: number) =>
      rebuildIndexOf(this.#index, [this.table, this.single.table], records);
    this.table.rebuildIndex = rebuild;
    this.single.table.rebuildIndex = rebuild;
    this.timeouts.set([
      c.tcpTimeoutSec,
      c.tcpClosedTimeoutSec,
      c.udpTimeoutSec,
      c.icmpTimeoutSec,
      c.otherTimeoutSec,
    ]);
    this.activeTimeout = c.activeTimeoutSec;
    this.minTimeout = Math.min(...this.timeouts);
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

  /** The embryo ring (one-packet flows). */
  get embryos(): EmbryoTable {
    return this.single.table;
  }

  /** One-packet flows folded into aggregate records because the embryo ring was full. */
  get aggregated(): number {
    return this.single.aggregated;
  }

  /** Accounts everything pending: flows' gains of the second, new one-packet flows' hosts. */
  private settle(): void {
    this.#acct.flush();
    this.single.accountNew(this.#acct.second);
  }

  /** Accounts every packet of `batch`. */
  add(batch: PacketBatch): void {
    const n = batch.count;
    const { tsSec, tsNsec, wireLen, tcpFlags, proto, tunnel } = batch;
    const key = this.key;
    const table = this.table;
    const embryos = this.embryos;
    const acct = this.#acct;
    const u32 = table.store.u32;
    const f64 = table.store.f64;
    const u8 = table.store.u8;
    const u16 = table.store.u16;
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
      let s = findFlowOrEmbryo(this.#index, table, embryos, key, h);
      let e = -1;
      if (s >= maxFlows) {
        e = s - maxFlows;
        s = -1;
      }
      if (s >= 0) {
        const r = s * ACTIVE_WORDS;
        const idle = ts - f64[(r >> 1) + F_LAST];
        // The class is worked out only past the shortest timeout: almost never, per packet.
        if (idle > this.minTimeout && idle > this.timeouts[timeoutClassOf(table.store, s)]) {
          this.endRecord(s, EndReason.Idle);
          this.startRecord(s, ts, false);
          orientRecord(table.store, s, result, flags);
          u8[r * 4 + B_TUNNEL] = tunnel[i];
        } else if (ts - f64[(r >> 1) + F_FIRST] > this.activeTimeout) {
          this.endRecord(s, EndReason.Active);
          // The connection goes on: keep its orientation, handshake and name.
          this.startRecord(s, ts, true);
        }
      } else {
        if (e >= 0 && ts - embryos.firstTs(e) > this.timeouts[embryoClass(key[0])]) {
          // Its one packet timed out before this one came (no sweep ran in between).
          this.single.end(e, EndReason.Idle);
          e = -1;
        }
        if (e >= 0) {
          s = this.single.promote(e, key, h);
        } else if (opensAsEmbryo(batch, i)) {
          this.single.add(key, h, second, tsNsec[i], len, result, flags, tunnel[i]);
          continue;
        } else {
          s = this.newFlow(key, h, ts);
          orientRecord(table.store, s, result, flags);
          u8[s * ACTIVE_WORDS * 4 + B_TUNNEL] = tunnel[i];
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
      if (flags !== 0 && (u32[r + W_META] & MetaBit.NoPorts) === 0) {
        tcpRecord(table.store, s, flags, fromB);
      }
      if (late) acct.late(s, second, len, fromB);
      if (u16[r * 2 + H_INSPECT] !== INSPECT_DONE && this.identity) {
        inspectRecord(this.identity, table.store, batch, i, s, fromB, flags);
      }
    }
  }

  /**
   * Ends flows idle past their timeout at `nowSec` (packet time) and prunes the history. It
   * sweeps every record (about 2 ns a flow): call it about once a second, not per batch.
   */
  tick(nowSec: number = this.now): void {
    this.endFlows(nowSec, EndReason.Idle);
    this.single.sweep(nowSec, this.timeouts);
    this.history.prune(nowSec);
  }

  /** Ends every flow and embryo now (shutdown, end of a file): reason Forced. */
  endAll(): void {
    this.endFlows(Infinity, EndReason.Forced);
    const embryos = this.embryos;
    for (let e = 0; e < embryos.slotsUsed; e++) {
      if (embryos.alive(e)) this.single.end(e, EndReason.Forced);
    }
  }

  /** Counts packets the kernel or interface dropped, at time `nowSec`. */
  addDrops(nowSec: number, dropped: number): void {
    this.#series.addDrops(nowSec, dropped);
  }

  /** The record sets queries read: active flows, one-packet flows, then the history. */
  get sources(): FlowSource[] {
    return flowSources(this.table, this.embryos, this.history);
  }

  /** A page of active and ended flows (see query.ts); throws TypeError/RangeError on bad input. */
  /**
   * `nowSec`: the monitor's clock (wall time in serve); without it, the latest packet's. A flow's
   * current rate is measured up to it, so it falls to 0 on a link that went quiet, where no
   * packet moves the engine's own clock.
   */
  query(query: FlowQuery, nowSec?: number): FlowPage {
    this.settle();
    const now = Math.max(this.now, this.#acct.second, nowSec ?? 0);
    return queryFlows(this.sources, query, now, this.identity);
  }

  /** Records of every active flow, one-packet flows included (not for the packet path). */
  activeRecords(): FlowRecord[] {
    return recordsOf(this.sources.slice(0, 2), this.now, this.identity);
  }

  /** Records of the history, oldest ended first. */
  endedRecords(): FlowRecord[] {
    return recordsOf(this.sources.slice(2), this.now, this.identity);
  }

  /** The record with id `id`, active or in the history, or undefined; `nowSec` as for query(). */
  flowById(id: number, nowSec?: number): FlowRecord | undefined {
    this.settle();
    return recordById(this.sources, id, Math.max(this.now, nowSec ?? 0), this.identity);
  }

  /** Flows ended so far, by any reason. */
  get flowsEnded(): number {
    return this.endedIdle + this.endedActive + this.evicted + this.endedForced;
  }

  /** Flows being tracked: full records and one-packet embryos. */
  get activeFlows(): number {
    return this.table.count + this.embryos.count;
  }

  /** Ends the full flows idle at `nowSec` (all of them at Infinity) for `reason`. */
  private endFlows(nowSec: number, reason: number): void {
    this.table.sweepIdle(nowSec, this.timeouts, (s) => this.endRecord(s, reason));
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
    this.#series.addApp(ts, 1, len, 0);
  }

  /** A new full flow for `key`, making room if the table is full. */
  private newFlow(key: Uint32Array, h: number, ts: number): number {
    const s = this.insertFlow(key, h);
    this.startRecord(s, ts, false);
    return s;
  }

  /** A slot for `key` in the flow table, evicting a flow if it is full. */
  private insertFlow(key: Uint32Array, h: number): number {
    const table = this.table;
    if (table.full) {
      const victim = table.victim();
      this.endRecord(victim, EndReason.Evicted);
      table.remove(victim);
    }
    return table.insert(key, h);
  }

  private endRecord(s: number, reason: number): void {
    this.#acct.settle(s);
    this.ended(this.table.store, s, reason);
    // A flow that goes on past the active timeout keeps its name; any other lets go of it.
    if (reason !== EndReason.Active && this.identity) {
      endInspection(this.identity, this.table.store, s);
    }
  }

  /** A record ended: to the history, to the listener, counted. */
  private ended(store: FlowStore, slot: number, reason: number): void {
    this.history.push(store, slot, reason);
    if (this.onFlowEnd !== undefined) this.onFlowEnd(store, slot, reason);
    if (reason === EndReason.Idle) this.endedIdle++;
    else if (reason === EndReason.Active) this.endedActive++;
    else if (reason === EndReason.Evicted) this.evicted++;
    else this.endedForced++;
  }

  /** Starts a record in slot `s` at `ts`: a new flow, or (`same`) one past the active timeout. */
  private startRecord(s: number, ts: number, same: boolean): void {
    restartRecord(this.table.store, s, ts, this.nextId, same);
    this.nextId += this.idStride;
    this.flowsStarted++;
  }
}
