// Read-only views of one flow engine: the answers a query gets, as plain JSON-ready objects.
//
// These run where the engine runs (its worker) and never hand out the engine's tables: the
// server reads the engine only through them (bandwhich's display reads a snapshot, not the
// accumulator). Shapes are the API's (server/wire.ts names them).

import type { FlowEngine } from "./flow_engine.ts";
import { type HostStats, hostStats, type HostWindow, topHostStats } from "./host_views.ts";
import { RATE_SECONDS } from "./hosts.ts";

/** Windows of talkers and protocols; "now" is the last few finished seconds. */
export type WindowName = "now" | "1m" | "5m" | "15m" | "60m";
/** What talkers rank by: bytes or packets both ways, or bytes one way. */
export type TalkerMeasure = "bytes" | "packets" | "sent" | "received";

const WINDOW_MINUTES: Record<Exclude<WindowName, "now">, HostWindow> = {
  "1m": 1,
  "5m": 5,
  "15m": 15,
  "60m": 60,
};

/** Seconds a window covers. */
export function windowSeconds(window: WindowName): number {
  return window === "now" ? RATE_SECONDS : WINDOW_MINUTES[window] * 60;
}

/** Top talkers (GET /talkers). */
export interface TalkersAnswer {
  window: WindowName;
  by: TalkerMeasure;
  talkers: HostStats[];
}

/** Traffic by protocol class and service over a window (GET /protocols). */
export interface ProtocolsAnswer {
  window: WindowName;
  /** Seconds the window covers. */
  seconds: number;
  packets: number;
  bytes: number;
  dropped: number;
  /** By protocol class (tcp, udp, icmp, other, non_flow), busiest first. */
  protocols: { name: string; packets: number; bytes: number }[];
  /** By service ("other": flows of no known service), busiest first. */
  services: { name: string; packets: number; bytes: number }[];
  /**
   * By app ("TLS.YouTube", "DNS"; "unknown": nothing in the payload said), busiest first, over
   * the whole minutes that cover the window.
   */
  apps: { name: string; packets: number; bytes: number }[];
}

/** The engine's own figures for /stats and /metrics. */
export interface EngineFigures {
  flows: {
    active: number;
    capacity: number;
    fill: number;
    /** One-packet flows waiting for a second packet (part of `active`). */
    single_packet: number;
    started: number;
    ended_idle: number;
    ended_active_timeout: number;
    ended_forced: number;
    evicted: number;
    /** One-packet flows folded into aggregate records because too many came at once. */
    aggregated: number;
    history: number;
    history_capacity: number;
    /**
     * The earliest last-packet time of the ended flows memory holds (null: none): older ended
     * flows are only in history, on disk.
     */
    oldest_ended: number | null;
  };
  hosts: { count: number; capacity: number; evicted: number };
  /** Names and payload inspection: what their bounded tables hold and what they had to drop. */
  identity: {
    /** Names interned (server names, DNS names), of `names_capacity`. */
    names: number;
    names_capacity: number;
    /** Names not kept because every entry was held. */
    name_drops: number;
    /** Addresses named by passive DNS, and those evicted to make room. */
    addresses: number;
    addresses_evicted: number;
    /** Flows whose inspection stopped early because newer flows needed its entry. */
    inspections_retired: number;
    /** Handshakes read packet by packet because every reassembly buffer was taken. */
    reassembly_drops: number;
  };
  /** Flow packets and bytes since start by protocol class (never decrease). */
  protocols: { name: string; packets: number; bytes: number }[];
}

/** The score of a host for `by` over a window: the value talkers rank by. */
export function score(h: HostStats, by: TalkerMeasure, now: boolean): number {
  if (now) {
    return by === "sent"
      ? h.rate_sent
      : by === "received"
      ? h.rate_received
      : h.rate_sent + h.rate_received;
  }
  if (by === "packets") return h.packets_sent + h.packets_received;
  if (by === "sent") return h.bytes_sent;
  if (by === "received") return h.bytes_received;
  return h.bytes_sent + h.bytes_received;
}

/** The best `limit` hosts by `by` over `window`, with their names and places. */
export function topHosts(
  engine: FlowEngine,
  nowSec: number,
  window: WindowName,
  by: TalkerMeasure,
  limit: number,
): HostStats[] {
  return describeHosts(engine, rankedHosts(engine, nowSec, window, by, limit), nowSec);
}

/**
 * A shard's candidates for a merge across shards: its best `cap` hosts (those with traffic),
 * without names or places (the merge needs their figures; it describes only the hosts it keeps).
 */
export function talkerCandidates(
  engine: FlowEngine,
  nowSec: number,
  window: WindowName,
  by: TalkerMeasure,
  cap: number,
): HostStats[] {
  return rankedHosts(engine, nowSec, window, by, cap);
}

/**
 * The best `count` hosts by `by` over `window` (only hosts with traffic: topHostStats() skips a
 * score of 0), busiest first, ties by address.
 */
function rankedHosts(
  engine: FlowEngine,
  nowSec: number,
  window: WindowName,
  by: TalkerMeasure,
  count: number,
): HostStats[] {
  const direction = by === "sent" ? "sent" : by === "received" ? "received" : "total";
  if (window === "now") {
    // By current rate (bytes a second, whatever `by` counts), with the last minute's figures.
    return topHostStats(engine.hosts, nowSec, 1, count, "rate", direction);
  }
  const measure = by === "packets" ? "packets" : "bytes";
  return topHostStats(engine.hosts, nowSec, WINDOW_MINUTES[window], count, measure, direction);
}

/** Fills in each host's name, country and AS number from what the engine's identity knows. */
function describeHosts(engine: FlowEngine, hosts: HostStats[], nowSec: number): HostStats[] {
  const identity = engine.identity;
  if (!identity) return hosts;
  for (const h of hosts) Object.assign(h, identity.hostInfoOf(h.address, nowSec));
  return hosts;
}

/**
 * The stats of each of `addresses` over `window` (absent hosts are left out), with names and
 * places unless `describe` is false.
 */
export function hostsByAddress(
  engine: FlowEngine,
  nowSec: number,
  window: WindowName,
  addresses: string[],
  describe = true,
): HostStats[] {
  const minutes = window === "now" ? 1 : WINDOW_MINUTES[window];
  const hosts = engine.hosts;
  const out: HostStats[] = [];
  for (const address of addresses) {
    const h = hostStats(hosts, address, nowSec, minutes);
    if (h) out.push(h);
  }
  return describe ? describeHosts(engine, out, nowSec) : out;
}

/** Totals by protocol class and service over `window` at `nowSec`. */
export function protocolsView(engine: FlowEngine, nowSec: number, window: WindowName) {
  const seconds = windowSeconds(window);
  // "now" is finished seconds only, as for talkers and flows' rate_now.
  const at = window === "now" ? nowSec - 1 : nowSec;
  const totals = engine.series.totals(at, seconds);
  const protocols = Object.entries(totals.protocols)
    .map(([name, v]) => ({ name, packets: v.packets, bytes: v.bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const answer: ProtocolsAnswer = {
    window,
    seconds,
    packets: totals.packets,
    bytes: totals.bytes,
    dropped: totals.dropped,
    protocols,
    services: totals.services.map((s) => ({ name: s.service, packets: s.packets, bytes: s.bytes })),
    apps: appShares(engine, engine.series.appTotals(at, seconds)),
  };
  return answer;
}

/** App totals by label (codes without one count as "unknown"), busiest first. */
export function appShares(
  engine: FlowEngine,
  totals: { code: number; packets: number; bytes: number }[],
): { name: string; packets: number; bytes: number }[] {
  const by = new Map<string, { name: string; packets: number; bytes: number }>();
  for (const t of totals) {
    const name = engine.identity?.appLabel(t.code) ?? "unknown";
    const seen = by.get(name);
    if (seen) {
      seen.packets += t.packets;
      seen.bytes += t.bytes;
    } else by.set(name, { name, packets: t.packets, bytes: t.bytes });
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** The engine's counters and fill, for /stats and /metrics. */
export function engineFigures(
  engine: FlowEngine,
  protocols: EngineFigures["protocols"],
  oldestEnded: number | null,
): EngineFigures {
  const c = engine.config;
  const hosts = engine.hosts;
  return {
    flows: {
      active: engine.activeFlows,
      capacity: c.maxActiveFlows,
      fill: engine.table.count / c.maxActiveFlows,
      single_packet: engine.embryos.count,
      started: engine.flowsStarted,
      ended_idle: engine.endedIdle,
      ended_active_timeout: engine.endedActive,
      ended_forced: engine.endedForced,
      evicted: engine.evicted,
      aggregated: engine.aggregated,
      history: engine.history.count,
      history_capacity: c.maxHistoryRecords,
      oldest_ended: oldestEnded,
    },
    hosts: { count: hosts.count, capacity: hosts.maxHosts, evicted: hosts.evicted },
    identity: identityFigures(engine),
    protocols,
  };
}

/** The identity part of the figures (zeros for an engine without names). */
function identityFigures(engine: FlowEngine): EngineFigures["identity"] {
  const id = engine.identity;
  return {
    names: id?.names.size ?? 0,
    names_capacity: id?.names.capacity ?? 0,
    name_drops: id?.names.drops ?? 0,
    addresses: id?.passiveDns.size ?? 0,
    addresses_evicted: id?.passiveDns.evictions ?? 0,
    inspections_retired: id?.inspector.retired ?? 0,
    reassembly_drops: id?.inspector.pool.drops ?? 0,
  };
}
