// Zod schema of GET /api/v1/stats: capture, engine, stream, export, HTTP and history figures.

import { z } from "@hono/zod-openapi";

/** Where the capture is in its life (also in /health). */
export const captureState = z.enum(["starting", "running", "ended", "stopped", "error"]);

const StreamStatsSchema = z.object({
  connections: z.number(),
  subscriptions: z.number(),
  messages_sent: z.number(),
  messages_skipped: z.number(),
  connections_refused: z.number(),
  updates_deferred: z.number(),
  snapshot_ms: z.number(),
});

const ExportStatusSchema = z.object({
  destination: z.string(),
  kind: z.enum(["ipfix", "ipfix+tcp", "clickhouse"]),
  state: z.enum(["connecting", "ok", "retrying", "failed"]),
  queued: z.number(),
  capacity: z.number(),
  sent: z.number(),
  dropped: z.number(),
  failures: z.number(),
  last_error: z.string().nullable(),
  last_sent_ms: z.number().nullable(),
});

const nullableTime = z.number().nullable();

const HistoryStatsSchema = z.object({
  state: z.enum(["off", "starting", "ok", "failed", "closed"]),
  path: z.string().nullable(),
  error: z.string().nullable(),
  file_bytes: z.number(),
  cap_bytes: z.number(),
  oldest: z.object({
    flows: nullableTime,
    "1m": nullableTime,
    "5m": nullableTime,
    "1h": nullableTime,
  }),
  written: z.object({
    minutes: z.number(),
    host_rows: z.number(),
    flows: z.number(),
    names: z.number(),
  }),
  dropped: z.object({ queue: z.number(), write_errors: z.number() }),
  retention_runs: z.number(),
}).openapi({ description: "The history store on disk; state off with --no-history" });

export const StatsSchema = z.object({
  version: z.string(),
  uptime_sec: z.number(),
  capture: z.object({
    state: captureState,
    source: z.enum(["interface", "file"]),
    name: z.string(),
    filter: z.string().nullable(),
    link_type: z.string().nullable(),
    packets: z.number(),
    bytes: z.number(),
    received: z.number().nullable(),
    dropped_kernel: z.number(),
    dropped_interface: z.number(),
    overruns: z.number(),
    decode_errors: z.object({ malformed: z.number(), truncated: z.number() }),
    error: z.object({ kind: z.string(), message: z.string() }).nullable(),
    packets_per_sec: z.number(),
  }),
  flows: z.object({
    active: z.number(),
    capacity: z.number(),
    fill: z.number(),
    single_packet: z.number(),
    started: z.number(),
    ended_idle: z.number(),
    ended_active_timeout: z.number(),
    ended_forced: z.number(),
    evicted: z.number(),
    aggregated: z.number(),
    history: z.number(),
    history_capacity: z.number(),
    oldest_ended: z.number().nullable(),
  }),
  hosts: z.object({ count: z.number(), capacity: z.number(), evicted: z.number() }),
  identity: z.object({
    names: z.number(),
    names_capacity: z.number(),
    name_drops: z.number(),
    addresses: z.number(),
    addresses_evicted: z.number(),
    inspections_retired: z.number(),
    reassembly_drops: z.number(),
  }),
  memory: z.object({
    rss_bytes: z.number(),
    heap_used_bytes: z.number(),
    heap_total_bytes: z.number(),
  }),
  stream: StreamStatsSchema,
  export: z.array(ExportStatusSchema),
  http: z.object({
    connections: z.number(),
    max_connections: z.number(),
    connections_refused: z.number(),
    connections_evicted: z.number(),
    connections_timed_out: z.number(),
    connections_overrun: z.number(),
    login_failures: z.number(),
    forbidden: z.number(),
  }),
  history: HistoryStatsSchema,
}).openapi("Stats");
