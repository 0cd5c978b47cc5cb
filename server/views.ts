// Reads a monitor into the wire shapes: one function per view, shared by REST routes and streams.

import type { InterfaceInfo } from "../capture/interfaces.ts";
import type { FlowQuery } from "../flows/query.ts";
import { QueryError } from "../pipeline/monitor.ts";
import type { ShardAnswers, ShardRequest } from "../pipeline/protocol.ts";
import { ApiError, badParameter } from "./errors.ts";
import { LIMITS } from "./vocabulary.ts";
import type { MonitorLike } from "./monitor_like.ts";
import type {
  ExportStatus,
  HealthResponse,
  HistoryStats,
  HttpStats,
  InterfacesResponse,
  StatsResponse,
  StreamStats,
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
  name?: string;
  app?: string;
  sort?: FlowQuery["sort"];
  order?: "asc" | "desc";
  limit?: number;
  offset?: number;
  cursor?: string;
}

/** Default page size of /flows. */
export const DEFAULT_PAGE = LIMITS.pageDefault;

/** Checks a range: `from` at most `to` (`p.from` as given, for the message). */
export function checkRange(from: number, to: number, p: { from?: number }): void {
  if (from > to) throw badParameter("from", p.from, `expected at most to (${to})`);
}

/** The engine query of API parameters. */
export function flowQuery(p: FlowParams): FlowQuery {
  if (p.from !== undefined && p.to !== undefined) checkRange(p.from, p.to, p);
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
    name: p.name,
    app: p.app,
    sort: p.sort,
    order: p.order,
    limit: p.limit ?? DEFAULT_PAGE,
    offset: p.offset,
    cursor: p.cursor,
  };
}

/** Answers a query, turning the engine's parameter errors into 400s that name them. */
export async function asked<R extends ShardRequest>(
  m: MonitorLike,
  request: R,
): Promise<ShardAnswers[R["op"]]> {
  try {
    return await m.ask(request);
  } catch (error) {
    if (error instanceof QueryError) {
      const d = error.detail;
      if (d.kind === "parameter") {
        if (d.parameter) throw badParameter(d.parameter, d.value, d.expected ?? d.message);
        throw new ApiError(400, "bad_parameter", d.message);
      }
      throw new ApiError(503, "unavailable", d.message);
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

/** What /stats and /metrics report beside the monitor's own figures. */
export interface StatsParts {
  stream: StreamStats;
  memory: { rss: number; heapUsed: number; heapTotal: number };
  exports?: ExportStatus[];
  http?: HttpStats;
  history?: HistoryStats;
}

/** History when no store was given (in-process monitors, --no-history). */
export const HISTORY_OFF: HistoryStats = {
  state: "off",
  path: null,
  error: null,
  file_bytes: 0,
  cap_bytes: 0,
  oldest: { flows: null, "1m": null, "5m": null, "1h": null },
  written: { minutes: 0, host_rows: 0, flows: 0, names: 0 },
  dropped: { queue: 0, write_errors: 0 },
  retention_runs: 0,
};

/** HTTP figures of a server that keeps none (an app built without a listener, as in tests). */
export const NO_HTTP: HttpStats = {
  connections: 0,
  max_connections: 0,
  connections_refused: 0,
  connections_evicted: 0,
  connections_timed_out: 0,
  connections_overrun: 0,
  login_failures: 0,
  forbidden: 0,
};

/** GET /stats. */
export async function statsView(
  m: MonitorLike,
  version: string,
  parts: StatsParts,
): Promise<StatsResponse> {
  const { stream, memory, exports = [], http, history = HISTORY_OFF } = parts;
  const e = await asked(m, { op: "figures" });
  const c = m.capture;
  const { protocols: _, ...engine } = e;
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
      received: c.stats ? c.stats.received : null,
      dropped_kernel: c.stats?.droppedByKernel ?? 0,
      dropped_interface: c.stats?.droppedByInterface ?? 0,
      overruns: c.overruns,
      decode_errors: { malformed: c.malformed, truncated: c.truncated },
      error: m.state === "error" && m.error ? { ...m.error } : null,
      packets_per_sec: Math.round(c.packetsPerSecond),
    },
    ...engine,
    memory: {
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      heap_total_bytes: memory.heapTotal,
    },
    stream,
    export: exports,
    http: http ?? NO_HTTP,
    history,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** One interface as `/interfaces` and `netwatch interfaces --format json` show it. */
export function interfaceView(i: InterfaceInfo): InterfacesResponse["interfaces"][number] {
  return {
    name: i.name,
    description: i.description,
    addresses: i.addresses,
    loopback: i.loopback,
    up: i.up,
    running: i.running,
    wireless: i.wireless,
    is_default: i.isDefault,
  };
}
