// Island: one host in detail, opened by clicking a host: its names and where each came from,
// its place, its rate now and over the hour, its traffic by window, its top peers and apps.

import { useEffect, useRef, useState } from "preact/hooks";
import type { Chart as ChartType } from "chart.js";
import type { HostResponse } from "../../server/wire.ts";
import { apiGet, ApiRequestError } from "../client/api.ts";
import {
  describePlace,
  formatByteRateAsBits,
  formatBytes,
  formatCount,
  formatSeen,
} from "../client/format.ts";
import { createHostChart } from "../client/host_chart.ts";
import { view } from "../client/store.ts";
import { softBreaks } from "../components/soft_breaks.tsx";
import { withFilters } from "../client/view_state.ts";

/** Seconds between refreshes while the view is open. */
const REFRESH_MS = 5000;

/** Where a name was learned, for people. */
const SOURCES: Record<string, string> = {
  dns: "DNS answer",
  sni: "TLS server name (SNI)",
  quic: "QUIC server name (SNI)",
  http: "HTTP Host header",
  dhcp: "DHCP host name",
  netbios: "NetBIOS name",
  mdns: "mDNS (Bonjour)",
};

function flows(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "flow" : "flows"}`;
}

/** The host's place in one line, or what is missing. */
function placeText(p: HostResponse["place"]): string {
  const parts = [describePlace(p.country, p.asn, p.as_org), p.city].filter((x) => x);
  return parts.length > 0
    ? parts.join(" · ")
    : "unknown (a private address, or no GeoIP database knows it)";
}

/** The host view dialog (closed while the view names no host). */
export default function HostView() {
  const address = view.value.hostview;
  const dialog = useRef<HTMLDialogElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType<"line"> | null>(null);
  const [host, setHost] = useState<HostResponse | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (!address) {
      if (d.open) d.close();
      return;
    }
    if (!d.open) d.showModal();
    setHost(null);
    setError("");
    let stopped = false;
    const load = () =>
      apiGet<HostResponse>(`hosts/${encodeURIComponent(address)}`).then((h) => {
        if (!stopped) setHost(h);
      }).catch((e) => {
        if (stopped) return;
        setError(
          e instanceof ApiRequestError && e.status === 404
            ? `Netwatch has not seen ${address} (or it left the host table).`
            : `Could not load ${address}: ${(e as Error).message}`,
        );
      });
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [address]);

  useEffect(() => {
    chart.current?.destroy();
    chart.current = null;
    if (host && canvas.current) chart.current = createHostChart(canvas.current, host.minutes);
    return () => chart.current?.destroy();
  }, [host]);

  function close() {
    if (view.peek().hostview) view.value = { ...view.peek(), hostview: "" };
  }
  function go(change: Parameters<typeof withFilters>[1]) {
    view.value = { ...withFilters(view.peek(), change), hostview: "" };
    document.getElementById("flows")?.scrollIntoView({ block: "start" });
  }

  const title = host?.names[0]?.name ?? address;
  return (
    <dialog
      ref={dialog}
      class="host-view"
      aria-labelledby="host-view-title"
      data-testid="host-view"
      data-address={address}
      onClose={close}
    >
      <h2 id="host-view-title">{title ? softBreaks(title) : "Host"}</h2>
      {title !== address && (
        <p class="addr-text" data-testid="host-address">{softBreaks(address)}</p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {!host && !error && <p class="empty">Loading…</p>}
      {host && (
        <>
          <dl>
            <div>
              <dt>Place</dt>
              <dd data-testid="host-place">{placeText(host.place)}</dd>
            </div>
            <div>
              <dt>Now</dt>
              <dd>
                {formatByteRateAsBits(host.rate.sent)} sent,{" "}
                {formatByteRateAsBits(host.rate.received)} received (last 3 finished s)
              </dd>
            </div>
            {host.windows.map((w) => (
              <div key={w.window}>
                <dt>Last {w.window.replace("m", " min")}</dt>
                <dd>
                  {formatBytes(w.bytes_sent)} sent, {formatBytes(w.bytes_received)} received
                </dd>
              </div>
            ))}
          </dl>
          <h3>Names</h3>
          {host.names.length === 0
            ? <p class="muted">None learned from traffic yet.</p>
            : (
              <ul class="names" data-testid="host-names">
                {host.names.map((n) => (
                  <li key={n.name + n.source}>
                    <span class="name">{softBreaks(n.name)}</span>{" "}
                    <span class="tag" title={`Last seen ${formatSeen(n.seen, Date.now() / 1000)}`}>
                      {SOURCES[n.source] ?? n.source}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          <h3>Over the last hour</h3>
          <div class="host-chart">
            <canvas
              ref={canvas}
              role="img"
              aria-label="Bit/s sent and received per minute over the last hour"
            >
            </canvas>
          </div>
          <p class="legend">
            <span class="key sent"></span>sent{" "}
            <span class="key received"></span>received, mean bit/s per minute
          </p>
          <div class="host-lists">
            <div>
              <h3>Top peers</h3>
              <ul class="shares" data-testid="host-peers">
                {host.peers.map((p) => (
                  <li key={p.address}>
                    <button
                      type="button"
                      class="link"
                      title={`${p.address}: open its host view`}
                      onClick={() => (view.value = { ...view.peek(), hostview: p.address })}
                    >
                      {softBreaks(p.name)}
                    </button>
                    <span class="muted">
                      {formatBytes(p.bytes)} · {flows(p.flows)}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
            <div>
              <h3>Top apps</h3>
              <ul class="shares" data-testid="host-apps">
                {host.apps.map((a) => (
                  <li key={a.name}>
                    <span>{a.name}</span>
                    <span class="muted">
                      {formatBytes(a.bytes)} · {flows(a.flows)}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          </div>
        </>
      )}
      <form method="dialog" class="dialog-actions">
        <button type="button" onClick={() => go({ host: address })} disabled={!address}>
          Show its flows
        </button>
        <button type="submit" autofocus>Close</button>
      </form>
    </dialog>
  );
}
