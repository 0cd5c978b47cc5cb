// Island: the busiest hosts over a window, sent and received apart; a host filters the flows.

import type { HostStats } from "../../server/wire.ts";
import { formatByteRateAsBits, formatBytes, formatCount } from "../client/format.ts";
import { talkers, view } from "../client/store.ts";
import { type WindowName, WINDOWS, withFilters } from "../client/view_state.ts";

const WINDOW_LABELS: Record<WindowName, string> = {
  now: "now (last 3 s)",
  "1m": "last 1 min",
  "5m": "last 5 min",
  "15m": "last 15 min",
  "60m": "last 60 min",
};

function total(h: HostStats): number {
  return h.bytes_sent + h.bytes_received;
}

/** Shows the flows of `address` in the flow table and moves there. */
function showFlowsOf(address: string): void {
  const current = view.peek();
  view.value = withFilters(current, { host: current.host === address ? "" : address });
  const table = document.getElementById("flows");
  table?.scrollIntoView({ behavior: "smooth", block: "start" });
}

/** The top talkers card. */
export default function TopTalkers() {
  const data = talkers.value;
  const v = view.value;
  const rows = data?.talkers ?? [];
  const max = Math.max(1, ...rows.map(total));
  return (
    <div class="talkers">
      <div class="card-head">
        <h2 id="talkers-title">Top talkers</h2>
        <label class="inline">
          <span>Window</span>
          <select
            value={v.window}
            onChange={(e) =>
              view.value = { ...view.peek(), window: e.currentTarget.value as WindowName }}
          >
            {WINDOWS.map((w) => <option key={w} value={w}>{WINDOW_LABELS[w]}</option>)}
          </select>
        </label>
      </div>
      <div class="table-wrap">
        <table class="data talkers-table" aria-labelledby="talkers-title" data-testid="talkers">
          <thead>
            <tr>
              <th scope="col" class="rank">#</th>
              <th scope="col">Host</th>
              <th scope="col" class="num opt">Sent</th>
              <th scope="col" class="num opt">Received</th>
              <th scope="col" class="num">Total</th>
              <th scope="col" class="num" title="Sent + received over the last 3 seconds">Now</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((h, i) => (
              <tr
                key={h.address}
                data-address={h.address}
                class={v.host === h.address ? "selected" : ""}
              >
                <td class="rank">{i + 1}</td>
                <td class="host">
                  <button
                    type="button"
                    class="link"
                    aria-pressed={v.host === h.address}
                    title={`Show the flows of ${h.address}`}
                    onClick={() => showFlowsOf(h.address)}
                  >
                    {h.address}
                  </button>
                  <span class="split" aria-hidden="true">
                    <span
                      class="sent"
                      style={{ width: `${(h.bytes_sent / max) * 100}%` }}
                    >
                    </span>
                    <span
                      class="received"
                      style={{ width: `${(h.bytes_received / max) * 100}%` }}
                    >
                    </span>
                  </span>
                </td>
                <td class="num opt" title={`${formatCount(h.bytes_sent)} bytes`}>
                  {formatBytes(h.bytes_sent)}
                </td>
                <td class="num opt" title={`${formatCount(h.bytes_received)} bytes`}>
                  {formatBytes(h.bytes_received)}
                </td>
                <td class="num strong" title={`${formatCount(total(h))} bytes`}>
                  {formatBytes(total(h))}
                </td>
                <td class="num">{formatByteRateAsBits(h.rate_sent + h.rate_received)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && rows.length === 0 && <p class="empty">No traffic in this window.</p>}
        {!data && <p class="empty">Loading…</p>}
      </div>
      <p class="legend">
        <span class="key sent"></span>sent <span class="key received"></span>received · bytes{" "}
        {WINDOW_LABELS[v.window]} · click a host to see its flows
      </p>
    </div>
  );
}
