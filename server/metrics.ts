// GET /metrics: the Prometheus text exposition format (version 0.0.4), base units and _total.

import type { MonitorLike } from "./monitor_like.ts";
import type { ProtocolTotals } from "./protocol_totals.ts";
import type { HttpStats, StreamStats } from "./wire.ts";

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
  totals: ProtocolTotals,
  stream: StreamStats,
  memory: { rss: number; heapUsed: number },
  startedAtSec: number,
  http: HttpStats,
): string {
  const e = m.engine;
  const c = m.counters;
  const out = new Exposition();
  out.family("netwatch_packets_total", "counter", "Packets captured and decoded.", c.packets);
  out.family("netwatch_bytes_total", "counter", "Bytes on the wire of those packets.", c.bytes);
  if (m.stats) {
    out.family(
      "netwatch_capture_received_packets_total",
      "counter",
      "Packets the kernel saw on the interface.",
      m.stats.received,
    );
  }
  out.family("netwatch_capture_dropped_packets_total", "counter", "Packets lost before decoding.", [
    [{ reason: "kernel" }, m.stats?.droppedByKernel ?? 0],
    [{ reason: "interface" }, m.stats?.droppedByInterface ?? 0],
    [{ reason: "overrun" }, m.overruns],
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
  const protocols = totals.read(e.series, m.nowSec);
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
  out.family("netwatch_flows_active", "gauge", "Flows tracked now.", e.table.count);
  out.family(
    "netwatch_flows_capacity",
    "gauge",
    "Most flows tracked at once.",
    e.config.maxActiveFlows,
  );
  out.family("netwatch_flows_started_total", "counter", "Flow records started.", e.flowsStarted);
  out.family("netwatch_flows_ended_total", "counter", "Flow records ended, by reason.", [
    [{ reason: "idle" }, e.endedIdle],
    [{ reason: "active_timeout" }, e.endedActive],
    [{ reason: "evicted" }, e.evicted],
  ]);
  out.family(
    "netwatch_flow_evictions_total",
    "counter",
    "Flows evicted because the flow table was full.",
    e.evicted,
  );
  out.family("netwatch_flow_history_records", "gauge", "Ended flows kept.", e.history.count);
  out.family("netwatch_hosts", "gauge", "Hosts in the host table.", e.hosts.count);
  out.family(
    "netwatch_host_evictions_total",
    "counter",
    "Hosts evicted because the host table was full.",
    e.hosts.evicted,
  );
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
  return out.text();
}
