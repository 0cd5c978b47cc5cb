// Reads a monitor into the wire shapes: one function per view, shared by REST routes and streams.

import type { FlowQuery } from "../flows/query.ts";
import { type HostStats, type HostWindow, RATE_SECONDS } from "../flows/hosts.ts";
import { ApiError, badParameter } from "./errors.ts";
import type { MonitorLike } from "./monitor_like.ts";
import type {
  FlowsResponse,
  HealthResponse,
  HttpStats,
  ProtocolsResponse,
  StatsResponse,
  StreamStats,
  TalkersResponse,
  WindowName,
} from "./wire.ts";

/** Validated flow-query parameters as the API names them (schemas.ts flowQueryShape). */
export interface FlowParams {
  host?: string;
  src?: string;
  dst?: string;
  port?: number;
  proto?: string;
  vlan?: number;
  service?: string;
  state?: string;
  active?: boolean;
  min_bytes?: number;
  from?: number;
  to?: number;
  q?: string;
  sort?: FlowQuery["sort"];
  order?: "asc" | "desc";
  limit?: number;
  offset?: number;
  cursor?: string;
}

/** Default page size of /flows. */
export const DEFAULT_PAGE = 50;

/** The engine query of API parameters. */
export function flowQuery(p: FlowParams): FlowQuery {
  return {
    address: p.host,
    client: p.src,
    server: p.dst,
    port: p.port,
    proto: p.proto,
    vlan: p.vlan,
    service: p.service,
    state: p.state,
    active: p.active,
    minBytes: p.min_bytes,
    from: p.from,
    to: p.to,
    text: p.q,
    sort: p.sort,
    order: p.order,
    limit: p.limit ?? DEFAULT_PAGE,
    offset: p.offset,
    cursor: p.cursor,
  };
}

/** A page of flows; a cursor the engine cannot use is a 400 naming `cursor`. */
export function flowsView(m: MonitorLike, p: FlowParams): FlowsResponse {
  try {
    return m.engine.query(flowQuery(p));
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      if (/cursor/i.test(error.message)) {
        throw badParameter(
          "cursor",
          p.cursor,
          "expected the next_cursor of a previous page with the same sort and order",
        );
      }
      throw new ApiError(400, "bad_parameter", error.message);
    }
    throw error;
  }
}

/** GET /health. */
export function healthView(m: MonitorLike, version: string): HealthResponse {
  return {
    status: m.state === "error" ? "error" : "ok",
    capture: {
      state: m.state,
      source: m.source.kind,
      interface: m.source.kind === "interface" ? m.source.device : null,
      file: m.source.kind === "file" ? m.source.path : null,
      error: m.error ? { kind: m.error.kind, message: m.error.message } : null,
    },
    uptime_sec: round3(m.uptimeSec),
    version,
  };
}

/** GET /stats. */
export function statsView(
  m: MonitorLike,
  version: string,
  stream: StreamStats,
  memory: { rss: number; heapUsed: number; heapTotal: number },
  http: HttpStats,
): StatsResponse {
  const e = m.engine;
  const c = m.counters;
  return {
    version,
    uptime_sec: round3(m.uptimeSec),
    capture: {
      state: m.state,
      source: m.source.kind,
      name: m.source.kind === "file" ? m.source.path : m.source.device,
      filter: m.source.filter ?? null,
      link_type: m.info?.linkType ?? null,
      packets: c.packets,
      bytes: c.bytes,
      received: m.stats ? m.stats.received : null,
      dropped_kernel: m.stats?.droppedByKernel ?? 0,
      dropped_interface: m.stats?.droppedByInterface ?? 0,
      overruns: m.overruns,
      decode_errors: { malformed: c.malformed, truncated: c.truncated },
      error: m.state === "error" && m.error ? { ...m.error } : null,
      packets_per_sec: Math.round(m.packetsPerSecond),
    },
    flows: {
      active: e.table.count,
      capacity: e.config.maxActiveFlows,
      fill: e.table.count / e.config.maxActiveFlows,
      started: e.flowsStarted,
      ended_idle: e.endedIdle,
      ended_active_timeout: e.endedActive,
      evicted: e.evicted,
      history: e.history.count,
      history_capacity: e.config.maxHistoryRecords,
    },
    hosts: { count: e.hosts.count, capacity: e.hosts.maxHosts, evicted: e.hosts.evicted },
    memory: {
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      heap_total_bytes: memory.heapTotal,
    },
    stream,
    http,
  };
}

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

/** GET /talkers: "now" ranks by the rate over the last few seconds, others by window totals. */
export function talkersView(
  m: MonitorLike,
  p: { window?: WindowName; by?: TalkersResponse["by"]; limit?: number },
): TalkersResponse {
  const window = p.window ?? "5m";
  const by = p.by ?? "bytes";
  const limit = p.limit ?? 10;
  const hosts = m.engine.hosts;
  const now = m.nowSec;
  const measure = by === "packets" ? "packets" : "bytes";
  const direction = by === "sent" ? "sent" : by === "received" ? "received" : "total";
  let talkers: HostStats[];
  if (window === "now") {
    const rate = (h: HostStats) =>
      direction === "sent"
        ? h.rate_sent
        : direction === "received"
        ? h.rate_received
        : h.rate_sent + h.rate_received;
    talkers = hosts.top(now, 1, Math.max(1, hosts.count), measure, direction)
      .filter((h) => rate(h) > 0)
      .sort((a, b) => rate(b) - rate(a))
      .slice(0, limit);
  } else {
    talkers = hosts.top(now, WINDOW_MINUTES[window], limit, measure, direction);
  }
  return { window, by, talkers };
}

/** GET /protocols: totals by protocol class and service over a window. */
export function protocolsView(m: MonitorLike, p: { window?: WindowName }): ProtocolsResponse {
  const window = p.window ?? "5m";
  const seconds = windowSeconds(window);
  const totals = m.engine.series.totals(m.nowSec, seconds);
  const protocols = Object.entries(totals.protocols)
    .map(([name, v]) => ({ name, packets: v.packets, bytes: v.bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return {
    window,
    seconds,
    packets: totals.packets,
    bytes: totals.bytes,
    dropped: totals.dropped,
    protocols,
    services: totals.services.map((s) => ({
      name: s.service,
      packets: s.packets,
      bytes: s.bytes,
    })),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
