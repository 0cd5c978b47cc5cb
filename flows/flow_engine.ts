// The flow engine: packets in, bidirectional flows, history, hosts and time series out.
//
// add(batch) is the packet path: per packet it builds the key in a scratch array, finds or
// inserts the flow, updates counters in place and moves the flow to the tail of its recency
// list. No objects, strings, closures or exceptions per packet. tick(now) ends idle flows and
// prunes history; time is packet time, so a file replays the same way whatever the wall clock.
//
// Hosts and time series are accounted per flow and per second, not per packet: the first
// packet a flow has in the current second puts it on a pending list with a copy of its
// counters, and when the second ends (or a reader asks) each pending flow adds what it gained
// since the copy to its two hosts and to the series. A flow with 200 packets in a second costs
// two host updates, not 400. The totals are the same as packet by packet: a packet from an
// earlier second than the current one (out of order) is still accounted at once, in its own
// second, and kept out of its flow's pending gain.

import { IpProto, type PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { type FlowConfig, resolveFlowConfig } from "./flow_config.ts";
import { hashKey, isFlowPacket, KEY_WORDS, KeyResult, packetKey } from "./flow_key.ts";
import { FlowHistory } from "./flow_history.ts";
import { type FlowRecord, flowRecord } from "./flow_record.ts";
import { type FlowStore, MetaBit } from "./flow_store.ts";
import { FLOW_CLASSES, FlowClass, FlowTable } from "./flow_table.ts";
import { HostTable } from "./hosts.ts";
import { type FlowPage, type FlowQuery, queryFlows } from "./query.ts";
import { serviceIndex } from "./services.ts";
import { FlowBit, tcpClosed, TcpFlag, updateTcpBits } from "./tcp_state.ts";
import { L4Class, TimeSeries } from "./time_series.ts";

/** Why a flow record ended. */
export const EndReason = {
  /** No packet within the idle timeout of its class. */
  Idle: 0,
  /** Longer than the active timeout: the flow goes on as a new record. */
  Active: 1,
  /** The table was full and this was the least recently seen flow. */
  Evicted: 2,
} as const;

/**
 * Called with each record as it ends, while the slot still holds it (read it with
 * flowRecord() or the store's arrays; do not keep the slot). Runs on the packet path.
 */
export type FlowEndListener = (store: FlowStore, slot: number, reason: number) => void;

/**
 * Flows the pending list holds (FlowTable.pending is 16-bit); when it fills, it is accounted
 * early, which is exact: every entry belongs to the current second.
 */
const PENDING_CAPACITY = 16_384;

/** Options of a FlowEngine: configuration overrides and an optional end listener. */
export interface FlowEngineOptions extends Partial<FlowConfig> {
  onFlowEnd?: FlowEndListener;
}

/** Bidirectional flow accounting with bounded state (layout and lists: see flow_table.ts). */
export class FlowEngine {
  readonly config: FlowConfig;
  readonly table: FlowTable;
  readonly history: FlowHistory;
  readonly #hosts: HostTable;
  readonly #series: TimeSeries;
  /** Latest packet time seen (epoch seconds); 0 before any. */
  now = 0;
  /** Packets given to add(). */
  packets = 0;
  /** Packets that were not IP (non-IP, undecoded link types, invalid headers): no flow. */
  nonFlowPackets = 0;
  /** IP packets whose transport protocol could not be reached (cut-short IPv6 chains): no flow. */
  ipNoProtoPackets = 0;
  /** Flow records started and ended, by reason. */
  flowsStarted = 0;
  endedIdle = 0;
  endedActive = 0;
  evicted = 0;
  private readonly timeouts = new Float64Array(FLOW_CLASSES);
  private readonly activeTimeout: number;
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly onFlowEnd: FlowEndListener | undefined;
  private nextId = 1;
  /** The epoch second pending traffic belongs to: the latest packet's whole second. */
  private second = -1;
  /**
   * Flows with traffic in `second` not yet accounted to hosts and series, with their counters
   * as they were before it (slot -1: the flow ended and was accounted then). Entry p is flow
   * s's when FlowTable.pending[s] = p + 1, p < pendingCount and pendingSlot[p] = s, so that
   * emptying the list writes nothing to the flows' own records.
   */
  private pendingCount = 0;
  private readonly pendingSlot = new Int32Array(PENDING_CAPACITY);
  private readonly pendingPktsAB = new Float64Array(PENDING_CAPACITY);
  private readonly pendingPktsBA = new Float64Array(PENDING_CAPACITY);
  private readonly pendingBytesAB = new Float64Array(PENDING_CAPACITY);
  private readonly pendingBytesBA = new Float64Array(PENDING_CAPACITY);

  constructor(options: FlowEngineOptions = {}) {
    const { onFlowEnd, ...overrides } = options;
    this.config = resolveFlowConfig(overrides);
    const c = this.config;
    this.table = new FlowTable(c.maxActiveFlows);
    this.history = new FlowHistory(c.maxHistoryRecords, c.historyRetentionSec);
    this.#hosts = new HostTable(c.maxHosts);
    this.#series = new TimeSeries();
    this.timeouts[FlowClass.TcpOpen] = c.tcpTimeoutSec;
    this.timeouts[FlowClass.TcpClosed] = c.tcpClosedTimeoutSec;
    this.timeouts[FlowClass.Udp] = c.udpTimeoutSec;
    this.timeouts[FlowClass.Icmp] = c.icmpTimeoutSec;
    this.timeouts[FlowClass.Other] = c.otherTimeoutSec;
    this.activeTimeout = c.activeTimeoutSec;
    this.onFlowEnd = onFlowEnd;
  }

  /** Traffic per host; reading it first accounts the pending traffic of the current second. */
  get hosts(): HostTable {
    this.accountPending();
    return this.#hosts;
  }

  /** Traffic per second and minute; reading it first accounts pending traffic, as hosts does. */
  get series(): TimeSeries {
    this.accountPending();
    return this.#series;
  }

  /** Accounts every packet of `batch`. */
  add(batch: PacketBatch): void {
    const n = batch.count;
    const { tsSec, tsNsec, wireLen, tcpFlags } = batch;
    const key = this.key;
    const table = this.table;
    const store = table.store;
    for (let i = 0; i < n; i++) {
      const second = tsSec[i];
      const ts = second + tsNsec[i] * 1e-9;
      const len = wireLen[i];
      if (second > this.second) {
        this.accountPending();
        this.second = second;
      }
      if (ts > this.now) this.now = ts;
      this.packets++;
      if (!isFlowPacket(batch, i)) {
        const kind = batch.kind[i];
        if (kind === PacketKind.Ipv4 || kind === PacketKind.Ipv6) {
          this.ipNoProtoPackets++;
          this.#hosts.addPacket(batch, i, len);
        } else {
          this.nonFlowPackets++;
        }
        this.#series.addPacket(ts, len, L4Class.NonFlow, 0);
        continue;
      }
      const result = packetKey(batch, i, key);
      const fromB = (result & KeyResult.FromB) !== 0;
      const h = hashKey(key);
      let s = table.find(key, h);
      if (s >= 0) {
        if (ts - store.last[s] > this.timeouts[table.cls[s]]) {
          this.endRecord(s, EndReason.Idle);
          this.startRecord(s, ts, 0);
          this.orient(s, result, batch.proto[i] === IpProto.Tcp ? tcpFlags[i] : 0);
        } else if (ts - store.first[s] > this.activeTimeout) {
          this.endRecord(s, EndReason.Active);
          // The connection goes on: keep its orientation and handshake.
          this.startRecord(s, ts, store.bits[s]);
        }
      } else {
        if (table.full) {
          const victim = table.leastRecent();
          this.endRecord(victim, EndReason.Evicted);
          table.remove(victim);
        }
        s = table.insert(key, h, FlowClass.Other);
        this.startRecord(s, ts, 0);
        this.orient(s, result, batch.proto[i] === IpProto.Tcp ? tcpFlags[i] : 0);
      }
      const late = second < this.second;
      if (!late && this.pendingEntry(s) < 0) this.markPending(s);
      if (fromB) {
        store.pktsBA[s]++;
        store.bytesBA[s] += len;
      } else {
        store.pktsAB[s]++;
        store.bytesAB[s] += len;
      }
      if (ts > store.last[s]) store.last[s] = ts;
      if (ts < store.first[s]) store.first[s] = ts;
      const meta = store.meta[s];
      const proto = meta & 255;
      let cls: number = FlowClass.Other;
      if (proto === IpProto.Tcp && (meta & MetaBit.NoPorts) === 0) {
        this.updateTcp(s, tcpFlags[i], fromB);
        cls = tcpClosed(store.tcpA[s], store.tcpB[s]) ? FlowClass.TcpClosed : FlowClass.TcpOpen;
      } else if (proto === IpProto.Udp) {
        cls = FlowClass.Udp;
      } else if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) {
        cls = FlowClass.Icmp;
      }
      table.touch(s, cls);
      if (late) this.accountLate(batch, i, s, ts, len, fromB);
    }
  }

  /** Ends flows idle past their timeout at `nowSec` (packet time) and prunes the history. */
  tick(nowSec: number = this.now): void {
    const table = this.table;
    const last = table.store.last;
    for (let c = 0; c < FLOW_CLASSES; c++) {
      const timeout = this.timeouts[c];
      for (let s = table.heads[c]; s >= 0 && nowSec - last[s] > timeout; s = table.heads[c]) {
        this.endRecord(s, EndReason.Idle);
        table.remove(s);
      }
    }
    this.history.prune(nowSec);
  }

  /** Counts packets the kernel or interface dropped, at time `nowSec`. */
  addDrops(nowSec: number, dropped: number): void {
    this.#series.addDrops(nowSec, dropped);
  }

  /**
   * Accounts the traffic flows gained in the current second to their hosts and the series.
   * Runs when a packet of a later second arrives and before hosts or series are read.
   */
  private accountPending(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    const slots = this.pendingSlot;
    for (let p = 0; p < n; p++) {
      const s = slots[p];
      if (s >= 0) this.accountGain(s, p);
    }
    this.pendingCount = 0;
  }

  /** Puts flow `s` on the pending list with its counters as they are now. */
  private markPending(s: number): void {
    if (this.pendingCount === PENDING_CAPACITY) this.accountPending();
    const p = this.pendingCount++;
    const store = this.table.store;
    this.pendingSlot[p] = s;
    this.pendingPktsAB[p] = store.pktsAB[s];
    this.pendingPktsBA[p] = store.pktsBA[s];
    this.pendingBytesAB[p] = store.bytesAB[s];
    this.pendingBytesBA[p] = store.bytesBA[s];
    this.table.pending[s] = p + 1;
  }

  /** Flow `s`'s entry in the pending list, or -1. */
  private pendingEntry(s: number): number {
    const p = this.table.pending[s] - 1;
    return p >= 0 && p < this.pendingCount && this.pendingSlot[p] === s ? p : -1;
  }

  /** Accounts what flow `s` gained since pending entry `p` was made, in the current second. */
  private accountGain(s: number, p: number): void {
    const store = this.table.store;
    const pktsAB = store.pktsAB[s] - this.pendingPktsAB[p];
    const pktsBA = store.pktsBA[s] - this.pendingPktsBA[p];
    const bytesAB = store.bytesAB[s] - this.pendingBytesAB[p];
    const bytesBA = store.bytesBA[s] - this.pendingBytesBA[p];
    if (pktsAB + pktsBA === 0) return;
    const meta = store.meta[s];
    const v6 = (meta & MetaBit.V6) !== 0 ? 1 : 0;
    const a = s << 3;
    const second = this.second;
    this.#hosts.addTraffic(store.addr, a, v6, second, bytesAB, pktsAB, bytesBA, pktsBA);
    this.#hosts.addTraffic(store.addr, a + 4, v6, second, bytesBA, pktsBA, bytesAB, pktsAB);
    const l4 = l4Class(meta & 255);
    this.#series.addTraffic(second, pktsAB + pktsBA, bytesAB + bytesBA, l4, store.service[s]);
  }

  /**
   * Accounts packet `i`, of flow `s` but from a second before the current one, at once in its
   * own second, and keeps it out of the flow's pending gain.
   */
  private accountLate(
    batch: PacketBatch,
    i: number,
    s: number,
    ts: number,
    len: number,
    fromB: boolean,
  ): void {
    this.#hosts.addPacket(batch, i, len);
    const store = this.table.store;
    this.#series.addPacket(ts, len, l4Class(store.meta[s] & 255), store.service[s]);
    const p = this.pendingEntry(s);
    if (p < 0) return;
    if (fromB) {
      this.pendingPktsBA[p]++;
      this.pendingBytesBA[p] += len;
    } else {
      this.pendingPktsAB[p]++;
      this.pendingBytesAB[p] += len;
    }
  }

  /** Records of every active flow (not for the packet path: allocates). */
  activeRecords(): FlowRecord[] {
    const out: FlowRecord[] = [];
    const table = this.table;
    for (let s = 0; s < table.capacity; s++) {
      if (table.inUse(s)) out.push(flowRecord(table.store, s, true));
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

  /** A page of active and ended flows (see query.ts); throws TypeError/RangeError on bad input. */
  query(query: FlowQuery): FlowPage {
    return queryFlows(this.table, this.history, query);
  }

  /** The record with id `id`, active or in the history, or undefined. */
  flowById(id: number): FlowRecord | undefined {
    const table = this.table;
    const ids = table.store.id;
    for (let s = 0; s < table.capacity; s++) {
      if (ids[s] === id && table.inUse(s)) return flowRecord(table.store, s, true);
    }
    const history = this.history;
    for (let n = 0; n < history.count; n++) {
      const slot = history.slotAt(n);
      if (history.store.id[slot] === id) return flowRecord(history.store, slot, false);
    }
    return undefined;
  }

  /** Flows ended so far, by any reason. */
  get flowsEnded(): number {
    return this.endedIdle + this.endedActive + this.evicted;
  }

  private endRecord(s: number, reason: number): void {
    const store = this.table.store;
    const p = this.pendingEntry(s);
    if (p >= 0) {
      this.accountGain(s, p);
      this.pendingSlot[p] = -1;
    }
    this.history.push(store, s);
    if (this.onFlowEnd !== undefined) this.onFlowEnd(store, s, reason);
    if (reason === EndReason.Idle) this.endedIdle++;
    else if (reason === EndReason.Active) this.endedActive++;
    else this.evicted++;
  }

  /** Resets slot `s` (key kept) as a new record starting at `ts` with FlowBit `bits`. */
  private startRecord(s: number, ts: number, bits: number): void {
    const store = this.table.store;
    store.pktsAB[s] = 0;
    store.pktsBA[s] = 0;
    store.bytesAB[s] = 0;
    store.bytesBA[s] = 0;
    store.first[s] = ts;
    store.last[s] = ts;
    store.tcpA[s] = 0;
    store.tcpB[s] = 0;
    store.bits[s] = bits;
    store.id[s] = this.nextId++;
    if (bits === 0) this.setService(s);
    this.flowsStarted++;
  }

  /**
   * Orients a new flow: the sender of its first packet is the client, unless that packet is
   * an answer (ICMP echo reply and the like, or a TCP SYN-ACK), whose sender is the server.
   */
  private orient(s: number, result: number, tcpFlags: number): void {
    const fromB = (result & KeyResult.FromB) !== 0;
    const answer = (result & KeyResult.Reply) !== 0 ||
      (tcpFlags & (TcpFlag.Syn | TcpFlag.Ack)) === (TcpFlag.Syn | TcpFlag.Ack);
    const store = this.table.store;
    if (fromB !== answer) store.bits[s] |= FlowBit.ClientIsB;
    this.setService(s);
  }

  /** OR's the segment's flags into its direction; a SYN (without ACK) names the client. */
  private updateTcp(s: number, flags: number, fromB: boolean): void {
    const store = this.table.store;
    if (fromB) store.tcpB[s] |= flags;
    else store.tcpA[s] |= flags;
    const before = store.bits[s];
    let bits = updateTcpBits(before, flags, fromB);
    if (bits !== before && (flags & (TcpFlag.Syn | TcpFlag.Ack)) === TcpFlag.Syn) {
      const clientIsB = (bits & FlowBit.ClientIsB) !== 0;
      const clientSyn = (bits & (clientIsB ? FlowBit.SynB : FlowBit.SynA)) !== 0;
      const serverSyn = (bits & (clientIsB ? FlowBit.SynA : FlowBit.SynB)) !== 0;
      // The first pure SYN seen comes from the server end: that end is the client after all.
      if (serverSyn && !clientSyn) {
        bits ^= FlowBit.ClientIsB;
        store.bits[s] = bits;
        this.setService(s);
        return;
      }
    }
    store.bits[s] = bits;
  }

  private setService(s: number): void {
    const store = this.table.store;
    const ports = store.ports[s];
    const clientIsB = (store.bits[s] & FlowBit.ClientIsB) !== 0;
    const server = clientIsB ? ports >>> 16 : ports & 0xffff;
    const client = clientIsB ? ports & 0xffff : ports >>> 16;
    store.service[s] = store.meta[s] & MetaBit.NoPorts
      ? 0
      : serviceIndex(store.meta[s] & 255, server, client);
  }
}

/** Time-series protocol class of an IP protocol number. */
function l4Class(proto: number): number {
  if (proto === IpProto.Tcp) return L4Class.Tcp;
  if (proto === IpProto.Udp) return L4Class.Udp;
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) return L4Class.Icmp;
  return L4Class.Other;
}
