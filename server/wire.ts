// Every JSON shape the server sends or accepts: REST bodies and WebSocket messages (no Deno.* here).
//
// The dashboard imports this module with `import type` only. Field names are the JSON keys.

import type { ExportStatus } from "../export/types.ts";
import type {
  EngineFigures,
  ProtocolsAnswer,
  TalkersAnswer,
  WindowName,
} from "../flows/engine_views.ts";
import type { FlowRecord } from "../flows/flow_record.ts";
import type { HostDetail } from "../flows/host_detail.ts";
import type { HostStats } from "../flows/host_views.ts";
import type { HistoryStatus } from "../history/types.ts";
import type { SeriesAnswer } from "../flows/series_view.ts";

export type { ExportStatus, FlowRecord, HostStats, WindowName };

/** The body of every 4xx and 5xx answer. */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable: "bad_parameter", "not_found", "unauthorized", ... */
    code: string;
    /** One line for people; names the parameter and the accepted values when one was wrong. */
    message: string;
  };
}

/** Where the capture is in its life ("ended": a replayed file reached its end). */
export type CaptureStateName = "starting" | "running" | "ended" | "stopped" | "error";

/** GET /api/v1/health. */
export interface HealthResponse {
  /** "ok" while capturing or after a replay ended normally; "error" when the capture failed. */
  status: "ok" | "error";
  capture: {
    state: CaptureStateName;
    /** "interface" or "file". */
    source: "interface" | "file";
    /** Interface name (live capture) or null. */
    interface: string | null;
    /** File path (replay) or null. */
    file: string | null;
    error: { kind: string; message: string } | null;
  };
  uptime_sec: number;
  version: string;
}

/** GET /api/v1/stats. Counts are since start. */
export interface StatsResponse {
  version: string;
  uptime_sec: number;
  capture: {
    state: CaptureStateName;
    source: "interface" | "file";
    name: string;
    filter: string | null;
    link_type: string | null;
    /** Packets Netwatch decoded and accounted. */
    packets: number;
    bytes: number;
    /** Packets the kernel saw (live capture only; null for files). */
    received: number | null;
    /** Dropped because Netwatch did not read fast enough (kernel buffer full). */
    dropped_kernel: number;
    /** Dropped by the interface or its driver. */
    dropped_interface: number;
    /** Records lost in Netwatch's own batching (should stay 0). */
    overruns: number;
    decode_errors: { malformed: number; truncated: number };
    /** Why the capture stopped, while state is "error" (Netwatch keeps retrying a live one). */
    error: { kind: string; message: string } | null;
    /** Packets per second accounted over the last second. */
    packets_per_sec: number;
  };
  flows: EngineFigures["flows"];
  hosts: EngineFigures["hosts"];
  identity: EngineFigures["identity"];
  memory: { rss_bytes: number; heap_used_bytes: number; heap_total_bytes: number };
  stream: StreamStats;
  /** Flow export destinations (--export), in order; empty when none. */
  export: ExportStatus[];
  http: HttpStats;
  history: HistoryStats;
}

/** The history store on disk, in /stats (history/types.ts HistoryStatus, as the API shows it). */
export interface HistoryStats
  extends Omit<HistoryStatus, "state" | "path" | "moved_aside" | "max_flow_id"> {
  /** "off" with --no-history; "failed" after an error (history is then memory only). */
  state: HistoryStatus["state"] | "off";
  /** The database file, null when off. */
  path: string | null;
}

/** Figures of the HTTP server, in /stats. */
export interface HttpStats {
  /** Open TCP connections, streams included. */
  connections: number;
  /** The cap: --max-connections, held below the open-file limit. */
  max_connections: number;
  /** Connections answered 503 because every slot was taken. */
  connections_refused: number;
  /** Idle connections closed to make room for a new one. */
  connections_evicted: number;
  /** Connections closed for sending no request head (or not finishing one) in time. */
  connections_timed_out: number;
  /** Connections closed for leaving too many pipelined requests unanswered (not reading). */
  connections_overrun: number;
  /** Wrong tokens at the login form or on guarded routes. */
  login_failures: number;
  /** Requests refused 403 for a Host or Origin not allowed (DNS rebinding, cross-site). */
  forbidden: number;
}

/** Figures of the WebSocket stream, in /stats. */
export interface StreamStats {
  connections: number;
  subscriptions: number;
  messages_sent: number;
  /** Updates not sent because the client was not reading (it gets the next, latest one). */
  messages_skipped: number;
  connections_refused: number;
  /** Updates put off to a later tick by the work budget (the client is told: `throttled`). */
  updates_deferred: number;
  /** Milliseconds spent computing stream snapshots since start. */
  snapshot_ms: number;
}

/** GET /api/v1/interfaces. */
export interface InterfacesResponse {
  interfaces: {
    name: string;
    description: string;
    addresses: string[];
    loopback: boolean;
    up: boolean;
    running: boolean;
    wireless: boolean;
    is_default: boolean;
  }[];
  /** The interface being captured, or null when replaying a file. */
  capturing: string | null;
}

/** GET /api/v1/hosts/{address}: names with sources, place, rate, traffic, peers and apps. */
export type HostResponse = HostDetail;

/** GET /api/v1/flows. */
export interface FlowsResponse {
  flows: FlowRecord[];
  /** Flows matching the filters, over every page. */
  total: number;
  /** Pass as `cursor` (same filters, sort and order) for the next page; null on the last. */
  next_cursor: string | null;
}

/**
 * Where an answer over time came from: "memory" (the live rings: 1 s for the last hour, 1 min
 * for the day), or a history tier on disk: "1m", "5m", "1h" (the step says the resolution).
 */
export type Tier = "memory" | "1m" | "5m" | "1h";

/** GET /api/v1/series. `t` and every `values` array line up. */
export type SeriesResponse = SeriesAnswer & { tier: Tier };

/** GET /api/v1/talkers: over a window ending now, or a range (`from`, `to`). */
export interface TalkersResponse extends Omit<TalkersAnswer, "window"> {
  window: WindowName | null;
  tier: Tier;
  from: number | null;
  to: number | null;
}

/** GET /api/v1/protocols: over a window ending now, or a range (`from`, `to`). */
export interface ProtocolsResponse extends Omit<ProtocolsAnswer, "window"> {
  window: WindowName | null;
  tier: Tier;
  from: number | null;
  to: number | null;
  /** By application ("TLS.YouTube", "DNS"...), busiest first. */
  apps: { name: string; packets: number; bytes: number }[];
}

/** Topics of the WebSocket stream. */
export type Topic = "rates" | "protocols" | "talkers" | "flows" | "stats";

/** Data of a "rates" update: since the subscription's previous update. */
export interface RatesData {
  packets_per_sec: number;
  bits_per_sec: number;
  /** Kernel and interface drops per second (live capture). */
  dropped_per_sec: number;
  packets_total: number;
  bytes_total: number;
  /** Seconds the rates were measured over. */
  interval_sec: number;
}

/** Client -> server messages on /api/v1/stream. */
export type ClientMessage =
  | {
    op: "subscribe";
    /** Chosen by the client, 1-64 characters; unique per connection. */
    id: string;
    topic: Topic;
    /** Milliseconds between updates, 100 to 60000; default 1000. */
    interval_ms?: number;
    /** The query parameters of the matching REST route (flows: filters, sort, limit...). */
    params?: Record<string, string | number | boolean>;
  }
  | { op: "unsubscribe"; id: string }
  | { op: "ping" };

/** Server -> client messages on /api/v1/stream. */
export type ServerMessage =
  | { type: "subscribed"; id: string; topic: Topic; interval_ms: number }
  | { type: "unsubscribed"; id: string }
  | {
    type: "data";
    id: string;
    topic: Topic;
    /** Epoch milliseconds the data was taken. */
    ts: number;
    /**
     * Present (true) when this update came more than 1.5 intervals after the previous one:
     * the server's work budget (or a client that did not read) stretched it. `interval_ms` is
     * then the time since that previous update. Expensive queries (deep offsets, `q`,
     * sort=rate over many flows) get this under load; cheap ones keep their rate.
     */
    throttled?: true;
    interval_ms?: number;
    data: RatesData | ProtocolsResponse | TalkersResponse | FlowsResponse | StatsResponse;
  }
  | { type: "error"; id?: string; code: string; message: string }
  | { type: "pong"; ts: number };
