// StatusBar renders capture health: drops, decode errors, and why a capture stopped.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { StatsResponse } from "../../server/wire.ts";
import { apiAnswers, connection, stats } from "../client/store.ts";
import StatusBar from "./StatusBar.tsx";

function statsWith(capture: Partial<StatsResponse["capture"]>): StatsResponse {
  return {
    version: "0.0.0",
    uptime_sec: 12,
    capture: {
      state: "running",
      source: "interface",
      name: "eth0",
      filter: null,
      link_type: "EN10MB",
      packets: 1000,
      bytes: 100000,
      received: 1000,
      dropped_kernel: 0,
      dropped_interface: 0,
      overruns: 0,
      decode_errors: { malformed: 0, truncated: 0 },
      error: null,
      packets_per_sec: 10,
      ...capture,
    },
  } as StatsResponse;
}

Deno.test("StatusBar shows malformed and truncated packets together", () => {
  stats.value = statsWith({ decode_errors: { malformed: 3, truncated: 4 } });
  const html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /data-testid="decode-errors"[^>]*>7</);
  assert.doesNotMatch(html, /Capture stopped/);
});

Deno.test("StatusBar says why a live capture stopped and that it retries", () => {
  stats.value = statsWith({
    state: "error",
    error: {
      kind: "failed",
      message: 'Cannot read "eth0" past packet 10: The interface disappeared',
    },
  });
  const html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /data-testid="capture-error"/);
  assert.match(html, /The interface disappeared/);
  assert.match(html, /retries every few seconds/);
  stats.value = null;
});

Deno.test("StatusBar shows export state, records sent and drops when exporting", () => {
  const status = {
    destination: "clickhouse+http://db:8123/netwatch",
    kind: "clickhouse",
    queued: 10,
    capacity: 100000,
    failures: 2,
    last_error: "ClickHouse at http://db:8123/ unreachable",
    last_sent_ms: null,
  } as const;
  stats.value = {
    ...statsWith({}),
    export: [
      { ...status, state: "ok", sent: 1500, dropped: 0 },
      {
        ...status,
        destination: "ipfix://c:4739",
        kind: "ipfix",
        state: "retrying",
        sent: 20,
        dropped: 7,
      },
    ],
  };
  const html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /data-testid="export"[^>]*>retrying · 1,520 sent/);
  assert.match(html, /7 dropped/);
  assert.match(html, /unreachable/, "the reason is in the tooltip");
  stats.value = statsWith({});
  assert.doesNotMatch(renderToString(h(StatusBar, { version: "0.0.0" })), /data-testid="export"/);
  stats.value = null;
});

Deno.test("StatusBar shows history's size against its cap, and says when it failed", () => {
  const history: StatsResponse["history"] = {
    state: "ok",
    path: "/var/lib/netwatch/netwatch.db",
    error: null,
    file_bytes: 12_500_000,
    cap_bytes: 512 * 1024 * 1024,
    oldest: { flows: null, "1m": 1, "5m": null, "1h": null },
    written: { minutes: 1, host_rows: 1, flows: 0, names: 0 },
    dropped: { queue: 0, write_errors: 0 },
    retention_runs: 0,
  };
  stats.value = { ...statsWith({}), history };
  let html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /data-testid="history"[^>]*>12\.5 MB of 537 MB</);
  assert.doesNotMatch(html, /class="bad"><dt>History/);
  const line = "History off, keeping the last hour in memory only: disk full";
  stats.value = { ...statsWith({}), history: { ...history, state: "failed", error: line } };
  html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /class="bad"><dt>History<\/dt><dd data-testid="history" title="History off/);
  assert.match(html, />failed · memory only</);
  stats.value = { ...statsWith({}), history: { ...history, state: "off", path: null } };
  assert.doesNotMatch(renderToString(h(StatusBar, { version: "0.0.0" })), /data-testid="history"/);
  stats.value = null;
});

Deno.test("StatusBar says the capture state is unknown while the stream is down", () => {
  stats.value = statsWith({ state: "running" });
  connection.value = { status: "live", retryAt: null, attempts: 0, lastLive: 1 };
  assert.match(
    renderToString(h(StatusBar, { version: "0.0.0" })),
    /data-testid="capture-state"[^>]*>running</,
  );
  connection.value = { status: "retrying", retryAt: Date.now() + 2000, attempts: 1, lastLive: 1 };
  const down = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(down, /data-testid="capture-state"[^>]*>unknown</);
  assert.match(down, /last known: running/);
  connection.value = { status: "connecting", retryAt: null, attempts: 0, lastLive: null };
  stats.value = null;
});

Deno.test("StatusBar offers to log out only a session of a server that requires a token", () => {
  apiAnswers.value = true;
  const open = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.doesNotMatch(open, /logout/);
  const guarded = renderToString(h(StatusBar, { version: "0.0.0", auth: true }));
  assert.match(guarded, /<form method="post" action="\/logout"/);
  // Behind the token prompt (the API answered 401, or has not answered yet): no session.
  apiAnswers.value = false;
  const locked = renderToString(h(StatusBar, { version: "0.0.0", auth: true }));
  assert.doesNotMatch(locked, /logout/);
});

Deno.test("StatusBar names the packet count Packets for a file and an interface alike", () => {
  stats.value = statsWith({ received: 1200, packets: 1000 });
  const live = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(
    live,
    /<dt>Packets<\/dt><dd data-testid="packets" title="Packets the kernel captured on eth0, dropped ones included; 1,000 decoded and counted">1,200</,
  );
  stats.value = statsWith({ source: "file", name: "/tmp/x.pcap", received: null, packets: 1000 });
  const file = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(
    file,
    /<dt>Packets<\/dt><dd data-testid="packets" title="Packets read from the file">1,000</,
  );
  assert.doesNotMatch(live + file, /Received/);
  stats.value = null;
});

Deno.test("StatusBar says when full tables evicted flows or hosts, and only then", () => {
  const tables = (flowsEvicted: number, hostsEvicted: number, aggregated: number) => ({
    ...statsWith({}),
    flows: { evicted: flowsEvicted, aggregated } as StatsResponse["flows"],
    hosts: { count: 10, capacity: 100, evicted: hostsEvicted },
  });
  stats.value = tables(0, 0, 0);
  assert.doesNotMatch(renderToString(h(StatusBar, { version: "0.0.0" })), /data-testid="evicted"/);
  stats.value = tables(2000, 236, 0);
  const html = renderToString(h(StatusBar, { version: "0.0.0" }));
  assert.match(html, /data-testid="evicted"[^>]*>2,000 flows · 236 hosts</);
  assert.match(html, /--max-flows/);
  stats.value = tables(0, 0, 14_868_928);
  assert.match(
    renderToString(h(StatusBar, { version: "0.0.0" })),
    /data-testid="evicted"[^>]*>14,868,928 folded</,
  );
  stats.value = null;
});
