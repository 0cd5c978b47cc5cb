// Island: the page header: what is captured, capture health, and whether the live stream is up.

import { useEffect, useState } from "preact/hooks";
import type { StatsResponse } from "../../server/wire.ts";
import { formatBytes, formatCount, formatDuration } from "../client/format.ts";
import { apiAnswers, connection, stats } from "../client/store.ts";

/** Props of StatusBar. */
export interface StatusBarProps {
  version: string;
  /** The server requires a token: offer to log out once the page has a session. */
  auth?: boolean;
}

function basename(path: string): string {
  return path.split("/").at(-1) ?? path;
}

/** What the header's packet count counts, by source (a live capture: the kernel's count). */
function packetsTitle(capture: StatsResponse["capture"]): string {
  return capture.received === null
    ? "Packets read from the file"
    : `Packets the kernel captured on ${capture.name}, dropped ones included; ` +
      `${formatCount(capture.packets)} decoded and counted`;
}

/** The header bar and, while the stream is down, a banner saying so. */
export default function StatusBar({ version, auth = false }: StatusBarProps) {
  const s = stats.value;
  const c = connection.value;
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (c.status !== "retrying") return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [c.status, c.retryAt]);

  const capture = s?.capture;
  // The capture's state is only known while the stream is up: otherwise say so, not "running".
  const known = c.status === "live";
  const captureState = capture ? (known ? capture.state : "unknown") : "…";
  const dropped = capture
    ? capture.dropped_kernel + capture.dropped_interface + capture.overruns
    : 0;
  // Flow export (--export): the worst state of any destination, and what was sent and lost.
  const exports = s?.export ?? [];
  const exportState = ["failed", "retrying", "connecting", "ok"].find((state) =>
    exports.some((e) => e.state === state)
  );
  const exportLost = exports.reduce((n, e) => n + e.dropped, 0);
  // History on disk: absent with --no-history; red when it failed (memory only) or lost rows.
  const history = s?.history && s.history.state !== "off" ? s.history : undefined;
  const historyLost = history ? history.dropped.queue + history.dropped.write_errors : 0;
  // Full tables (--max-flows, --max-hosts) and a flood's folded one-packet flows: totals still
  // count every packet, but per-flow and per-host detail was given up, so say so.
  const evicted = s?.flows && s.hosts
    ? { flows: s.flows.evicted, hosts: s.hosts.evicted, folded: s.flows.aggregated }
    : undefined;
  const retryIn = c.retryAt === null ? 0 : Math.max(0, Math.ceil((c.retryAt - now) / 1000));
  const streamText = c.status === "live"
    ? "Live"
    : c.status === "connecting"
    ? "Connecting…"
    : c.status === "auth"
    ? "Token needed"
    : retryIn > 0
    ? `Disconnected · retry in ${retryIn} s`
    : "Disconnected · reconnecting…";

  return (
    <header class="status-bar">
      <div class="brand">
        <span class="logo" aria-hidden="true">◉</span>
        <span class="name">Netwatch</span>
        <span class="version">{version}</span>
      </div>
      <dl class="facts">
        <div>
          <dt>Source</dt>
          <dd title={capture?.name}>
            {capture
              ? `${capture.source === "file" ? "file" : "interface"} ${
                capture.source === "file" ? basename(capture.name) : capture.name
              }`
              : "…"}
          </dd>
        </div>
        <div>
          <dt>Filter</dt>
          <dd>
            <code>{capture ? capture.filter ?? "none" : "…"}</code>
          </dd>
        </div>
        <div>
          <dt>Capture</dt>
          <dd>
            <span
              class={`badge state-${capture ? captureState : "unknown"}`}
              data-testid="capture-state"
              title={capture && !known
                ? `Not known while the live stream is down (last known: ${capture.state})`
                : undefined}
            >
              {captureState}
            </span>
          </dd>
        </div>
        <div>
          {/* One name for the figure whatever the source; the title says what it counts. */}
          <dt>Packets</dt>
          <dd data-testid="packets" title={capture ? packetsTitle(capture) : undefined}>
            {capture ? formatCount(capture.received ?? capture.packets) : "…"}
          </dd>
        </div>
        <div class={dropped > 0 ? "bad" : ""}>
          <dt>Dropped</dt>
          <dd data-testid="dropped" title="Kernel, interface and internal drops since start">
            {capture ? formatCount(dropped) : "…"}
          </dd>
        </div>
        <div>
          <dt>Malformed</dt>
          <dd
            data-testid="decode-errors"
            title="Malformed or truncated packets: counted and skipped, never lost silently"
          >
            {capture
              ? formatCount(capture.decode_errors.malformed + capture.decode_errors.truncated)
              : "…"}
          </dd>
        </div>
        {evicted && evicted.flows + evicted.hosts + evicted.folded > 0 && (
          <div class="bad">
            <dt>Tables full</dt>
            <dd
              data-testid="evicted"
              title={`${formatCount(evicted.flows)} flows left the full flow table ` +
                `(--max-flows), ${formatCount(evicted.hosts)} hosts the full host table ` +
                `(--max-hosts), and ${formatCount(evicted.folded)} one-packet flows were ` +
                "folded into one record per server (a flood or scan). Totals still count " +
                "every packet."}
            >
              {[
                evicted.flows > 0 ? `${formatCount(evicted.flows)} flows` : "",
                evicted.hosts > 0 ? `${formatCount(evicted.hosts)} hosts` : "",
                evicted.folded > 0 ? `${formatCount(evicted.folded)} folded` : "",
              ].filter((x) => x).join(" · ")}
            </dd>
          </div>
        )}
        {exports.length > 0 && (
          <div class={exportLost > 0 || exportState === "failed" ? "bad" : ""}>
            <dt>Export</dt>
            <dd
              data-testid="export"
              title={exports.map((e) =>
                `${e.destination}: ${e.state}, ${e.sent} sent, ${e.dropped} dropped, ` +
                `queue ${e.queued}/${e.capacity}${e.last_error ? ` (${e.last_error})` : ""}`
              ).join("\n")}
            >
              {exportState} · {formatCount(exports.reduce((n, e) => n + e.sent, 0))} sent
              {exportLost > 0 ? ` · ${formatCount(exportLost)} dropped` : ""}
            </dd>
          </div>
        )}
        {history && (
          <div class={history.state === "failed" || historyLost > 0 ? "bad" : ""}>
            <dt>History</dt>
            <dd
              data-testid="history"
              title={history.error ??
                `${history.path}: ${formatBytes(history.file_bytes)} of ` +
                  `${formatBytes(history.cap_bytes)} (--retention-size), ` +
                  `${formatCount(historyLost)} lost`}
            >
              {history.state === "ok"
                ? `${formatBytes(history.file_bytes)} of ${formatBytes(history.cap_bytes)}`
                : history.state === "failed"
                ? "failed · memory only"
                : history.state}
              {historyLost > 0 ? ` · ${formatCount(historyLost)} lost` : ""}
            </dd>
          </div>
        )}
        <div>
          <dt>Uptime</dt>
          <dd>{s ? formatDuration(s.uptime_sec) : "…"}</dd>
        </div>
      </dl>
      <div
        class={`stream stream-${c.status}`}
        role="status"
        aria-live="polite"
        data-testid="stream-status"
        data-status={c.status}
      >
        <span class="dot" aria-hidden="true"></span>
        {streamText}
      </div>
      {auth && apiAnswers.value && (
        <form method="post" action="/logout" class="logout">
          <button
            type="submit"
            data-testid="logout"
            title="End this session: the token is asked again"
          >
            Log out
          </button>
        </form>
      )}
      {capture?.error && (
        <p class="banner" role="alert" data-testid="capture-error">
          Capture stopped: {capture.error.message}.
          {capture.source === "interface"
            ? " Netwatch keeps serving what it has and retries every few seconds."
            : " Netwatch keeps serving what it has."}
        </p>
      )}
      {c.status === "retrying" && (
        <p class="banner" role="alert" data-testid="stream-banner">
          Live updates stopped: the server cannot be reached. The page keeps what it has and
          reconnects by itself{retryIn > 0 ? ` (next try in ${retryIn} s)` : ""}.
        </p>
      )}
    </header>
  );
}
