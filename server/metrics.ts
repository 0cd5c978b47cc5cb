// GET /metrics: the Prometheus text exposition format (version 0.0.4), base units and _total.

import type { EngineFigures } from "../flows/engine_views.ts";
import type { MonitorLike } from "./monitor_like.ts";
import { HISTORY_OFF, NO_HTTP, type StatsParts } from "./views.ts";
import type { ExportStatus, HistoryStats } from "./wire.ts";

/** Content type of the text exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Sample = [labels: Record<string, string>, value: number];

/** Writes metric families one after the other. */
class Exposition {
  #lines: string[] = [];

  family(name: string, type: "counter" | "gauge", help: string, samples: Sample[] | number): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const list: Sample[] = typeof samples === "number" ? [[{}, samples]] : samples;
    for (const [labels, value] of list) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      this.#lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${format(value)}`);
    }
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function format(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Everything /metrics reports, rendered. */
export function renderMetrics(
  m: MonitorLike,
  e: EngineFigures,
  parts: StatsParts,
  startedAtSec: number,
): string {
  const { exports = [], history = HISTORY_OFF } = parts;
  const out = new Exposition();
  captureMetrics(out, m);
  const protocols = e.protocols;
  out.family(
    "netwatch_protocol_bytes_total",
    "counter",
    "Bytes by protocol class.",
    protocols.map((p): Sample => [{ protocol: p.name }, p.bytes]),
  );
  out.family(
    "netwatch_protocol_packets_total",
    "counter",
    "Packets by protocol class.",
    protocols.map((p): Sample => [{ protocol: p.name }, p.packets]),
  );
  out.family("netwatch_flows_active", "gauge", "Flows tracked now.", e.flows.active);
  out.family(
    "netwatch_flows_single_packet",
    "gauge",
    "Flows tracked now that have seen one packet (part of netwatch_flows_active).",
    e.flows.single_packet,
  );
  out.family("netwatch_flows_capacity", "gauge", "Most flows tracked at once.", e.flows.capacity);
  out.family("netwatch_flows_started_total", "counter", "Flow records started.", e.flows.started);
  out.family("netwatch_flows_ended_total", "counter", "Flow records ended, by reason.", [
    [{ reason: "idle" }, e.flows.ended_idle],
    [{ reason: "active_timeout" }, e.flows.ended_active_timeout],
    [{ reason: "evicted" }, e.flows.evicted],
    [{ reason: "forced" }, e.flows.ended_forced],
  ]);
  out.family(
    "netwatch_flow_evictions_total",
    "counter",
    "Flows evicted because the flow table was full.",
    e.flows.evicted,
  );
  out.family(
    "netwatch_flows_aggregated_total",
    "counter",
    "One-packet flows folded into per-server aggregate records (floods, scans).",
    e.flows.aggregated,
  );
  out.family("netwatch_flow_history_records", "gauge", "Ended flows kept.", e.flows.history);
  out.family("netwatch_hosts", "gauge", "Hosts in the host table.", e.hosts.count);
  out.family(
    "netwatch_host_evictions_total",
    "counter",
    "Hosts evicted because the host table was full.",
    e.hosts.evicted,
  );
  out.family("netwatch_names", "gauge", "Names interned (server and DNS names).", e.identity.names);
  out.family(
    "netwatch_name_drops_total",
    "counter",
    "Names not kept because the name table was full of names in use.",
    e.identity.name_drops,
  );
  out.family(
    "netwatch_inspections_retired_total",
    "counter",
    "Flows whose payload inspection stopped early because newer flows needed its entry.",
    e.identity.inspections_retired,
  );
  serverMetrics(out, parts, startedAtSec);
  exportMetrics(out, exports);
  historyMetrics(out, history);
  return out.text();
}

/** The capture's families: packets and bytes, drops, decode errors, whether it runs. */
function captureMetrics(out: Exposition, m: MonitorLike): void {
  const c = m.capture;
  out.family("netwatch_packets_total", "counter", "Packets captured and decoded.", c.packets);
  out.family("netwatch_bytes_total", "counter", "Bytes on the wire of those packets.", c.bytes);
  if (c.stats) {
    out.family(
      "netwatch_capture_received_packets_total",
      "counter",
      "Packets the kernel saw on the interface.",
      c.stats.received,
    );
  }
  out.family("netwatch_capture_dropped_packets_total", "counter", "Packets lost before decoding.", [
    [{ reason: "kernel" }, c.stats?.droppedByKernel ?? 0],
    [{ reason: "interface" }, c.stats?.droppedByInterface ?? 0],
    [{ reason: "overrun" }, c.overruns],
  ]);
  out.family("netwatch_decode_errors_total", "counter", "Packets with bad or cut-short headers.", [
    [{ kind: "malformed" }, c.malformed],
    [{ kind: "truncated" }, c.truncated],
  ]);
  out.family(
    "netwatch_capture_up",
    "gauge",
    "1 while the capture runs, 0 after it ended or failed.",
    m.state === "running" ? 1 : 0,
  );
}

/** The server's own families: stream, HTTP connections and refusals, memory, start time. */
function serverMetrics(out: Exposition, parts: StatsParts, startedAtSec: number): void {
  const { stream, memory, http = NO_HTTP } = parts;
  out.family("netwatch_stream_connections", "gauge", "Open WebSocket streams.", stream.connections);
  out.family(
    "netwatch_stream_subscriptions",
    "gauge",
    "Stream subscriptions.",
    stream.subscriptions,
  );
  out.family(
    "netwatch_stream_messages_total",
    "counter",
    "Stream messages sent.",
    stream.messages_sent,
  );
  out.family(
    "netwatch_stream_messages_skipped_total",
    "counter",
    "Stream updates skipped because the client was not reading.",
    stream.messages_skipped,
  );
  out.family("netwatch_http_connections", "gauge", "Open HTTP connections.", http.connections);
  out.family(
    "netwatch_http_connections_max",
    "gauge",
    "Most HTTP connections served at once (below the open-file limit).",
    http.max_connections,
  );
  out.family(
    "netwatch_http_connections_closed_total",
    "counter",
    "HTTP connections closed by the server's guard, by reason.",
    [
      [{ reason: "refused" }, http.connections_refused],
      [{ reason: "evicted" }, http.connections_evicted],
      [{ reason: "timed_out" }, http.connections_timed_out],
      [{ reason: "pipelining" }, http.connections_overrun],
    ],
  );
  out.family(
    "netwatch_login_failures_total",
    "counter",
    "Requests that presented a wrong token.",
    http.login_failures,
  );
  out.family(
    "netwatch_http_forbidden_total",
    "counter",
    "Requests refused for a Host or Origin not allowed.",
    http.forbidden,
  );
  out.family(
    "process_resident_memory_bytes",
    "gauge",
    "Resident set size of the Netwatch process.",
    memory.rss,
  );
  out.family("netwatch_heap_used_bytes", "gauge", "JavaScript heap in use.", memory.heapUsed);
  out.family(
    "process_start_time_seconds",
    "gauge",
    "Start time of the process since the epoch.",
    startedAtSec,
  );
}

/** The history store (nothing with --no-history). */
function historyMetrics(out: Exposition, h: HistoryStats): void {
  if (h.state === "off") return;
  out.family(
    "netwatch_history_up",
    "gauge",
    "1 while history is written to disk, 0 once it failed (memory only).",
    h.state === "ok" ? 1 : 0,
  );
  out.family("netwatch_history_bytes", "gauge", "Database and its log on disk.", h.file_bytes);
  out.family(
    "netwatch_history_cap_bytes",
    "gauge",
    "The size cap (--retention-size).",
    h.cap_bytes,
  );
  out.family(
    "netwatch_history_written_total",
    "counter",
    "Rows written since start.",
    Object.entries(h.written).map(([kind, n]): Sample => [{ kind }, n]),
  );
  out.family(
    "netwatch_history_dropped_total",
    "counter",
    "Items not written: a bounded queue was full, or a write failed.",
    [[{ reason: "queue" }, h.dropped.queue], [{ reason: "write_error" }, h.dropped.write_errors]],
  );
  out.family(
    "netwatch_history_retention_runs_total",
    "counter",
    "Times the size cap or age removed old data.",
    h.retention_runs,
  );
}

/** Flow export: per destination (label `destination`, the URL without password). */
function exportMetrics(out: Exposition, exports: ExportStatus[]): void {
  if (exports.length === 0) return;
  const each = (value: (s: ExportStatus) => number): Sample[] =>
    exports.map((s): Sample => [{ destination: s.destination, kind: s.kind }, value(s)]);
  out.family(
    "netwatch_export_up",
    "gauge",
    "1 while the destination takes records, 0 while it is retrying or failed.",
    each((s) => (s.state === "ok" ? 1 : 0)),
  );
  out.family("netwatch_export_queue_records", "gauge", "Records waiting.", each((s) => s.queued));
  out.family(
    "netwatch_export_queue_capacity_records",
    "gauge",
    "Most records the queue holds.",
    each((s) => s.capacity),
  );
  out.family("netwatch_export_sent_records_total", "counter", "Records sent.", each((s) => s.sent));
  out.family(
    "netwatch_export_dropped_records_total",
    "counter",
    "Records lost: queue full, or refused by the destination.",
    each((s) => s.dropped),
  );
  out.family(
    "netwatch_export_failures_total",
    "counter",
    "Sends that failed and were retried.",
    each((s) => s.failures),
  );
}
