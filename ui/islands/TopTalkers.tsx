// Island: the busiest hosts, by current rate unless another column is chosen; names and places
// beside them, the address on hover; a host opens its host view.

import type { HostStats } from "../../server/wire.ts";
import {
  describePlace,
  formatByteRateAsBits,
  formatBytes,
  formatCount,
  formatPlace,
} from "../client/format.ts";
import { talkers, view } from "../client/store.ts";
import { softBreaks } from "../components/soft_breaks.tsx";
import { StaleNote, streamDown } from "../components/StaleNote.tsx";
import {
  isLive,
  type TalkerSort,
  toggleTalkerSort,
  type ViewState,
  type WindowName,
  WINDOWS,
  withFilters,
} from "../client/view_state.ts";

/** Rows shown. */
const ROWS = 10;

const WINDOW_LABELS: Record<WindowName, string> = {
  now: "now (last 3 s)",
  "1m": "last 1 min",
  "5m": "last 5 min",
  "15m": "last 15 min",
  "60m": "last 60 min",
};

/** What the byte columns cover: a window's minutes ("now" ranks by rate, counts 1 min). */
const BYTES_OVER: Record<WindowName, string> = {
  now: "the last minute",
  "1m": "the last minute",
  "5m": "the last 5 min",
  "15m": "the last 15 min",
  "60m": "the last hour",
};

function total(h: HostStats): number {
  return h.bytes_sent + h.bytes_received;
}

function rate(h: HostStats): number {
  return h.rate_sent + h.rate_received;
}

const SORT_VALUE: Record<TalkerSort, (h: HostStats) => number | string> = {
  now: rate,
  total,
  sent: (h) => h.bytes_sent,
  received: (h) => h.bytes_received,
  packets: (h) => h.packets_sent + h.packets_received,
  host: (h) => (h.name ?? h.address).toLowerCase(),
};

/** The rows in the view's order, at most ROWS; ties keep the API's order. */
export function sortTalkers(rows: readonly HostStats[], v: ViewState, live: boolean): HostStats[] {
  const key = !live && v.tsort === "now" ? "total" : v.tsort;
  const value = SORT_VALUE[key];
  const sign = v.torder === "asc" ? 1 : -1;
  return rows
    .map((h, i) => ({ h, i }))
    .sort((a, b) => {
      const x = value(a.h);
      const y = value(b.h);
      const c = typeof x === "string" ? x.localeCompare(y as string) : x - (y as number);
      return c * sign || a.i - b.i;
    })
    .slice(0, ROWS)
    .map((r) => r.h);
}

/** A sortable column head. */
function Head(
  { v, k, label, title, class: className }: {
    v: ViewState;
    k: TalkerSort;
    label: string;
    title: string;
    class?: string;
  },
) {
  const on = v.tsort === k;
  return (
    <th
      scope="col"
      class={className}
      title={title}
      aria-sort={on ? (v.torder === "asc" ? "ascending" : "descending") : undefined}
    >
      <button
        type="button"
        class="sort"
        data-tsort={k}
        onClick={() => (view.value = toggleTalkerSort(view.peek(), k))}
      >
        {label}
        <span class="arrow" aria-hidden="true">
          {on ? (v.torder === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** The top talkers card. */
export default function TopTalkers() {
  const t = talkers.value;
  const v = view.value;
  const live = isLive(v);
  // A live window's figures go stale while the stream is down: say so, never "no traffic".
  const stale = live && streamDown();
  const all = t.data?.talkers ?? [];
  const rows = sortTalkers(all, v, live);
  const max = Math.max(1, ...rows.map(total));
  const mix = v.app || v.service || v.proto;
  const over = live ? `bytes over ${BYTES_OVER[v.window]}` : "bytes over the chosen range";
  return (
    <div class="talkers">
      <div class="card-head">
        <h2 id="talkers-title">Top talkers</h2>
        {live
          ? (
            <label class="inline">
              <span>Window</span>
              <select
                value={v.window}
                data-testid="talkers-window"
                onChange={(e) =>
                  view.value = { ...view.peek(), window: e.currentTarget.value as WindowName }}
              >
                {WINDOWS.map((w) => <option key={w} value={w}>{WINDOW_LABELS[w]}</option>)}
              </select>
            </label>
          )
          : <span class="muted">over the chart's range</span>}
      </div>
      {mix && (
        <p class="filter-note">
          Hosts in {v.app || v.service || v.proto} flows
          {t.fromFlows > 0 ? ` (the ${formatCount(t.fromFlows)} biggest)` : ""} ·{" "}
          <button
            type="button"
            class="link inline"
            onClick={() => (view.value = withFilters(view.peek(), {
              app: "",
              service: "",
              proto: "",
            }))}
          >
            all hosts
          </button>
        </p>
      )}
      <table
        class={`data talkers-table${stale ? " stale" : ""}`}
        aria-labelledby="talkers-title"
        data-testid="talkers"
      >
        <thead>
          <tr>
            <th scope="col" class="rank">#</th>
            <Head v={v} k="host" label="Host" title="Name learned from traffic, else address" />
            <Head v={v} k="sent" label="Sent" title={`Sent, ${over}`} class="num opt" />
            <Head v={v} k="received" label="Received" title={`Received, ${over}`} class="num opt" />
            <Head v={v} k="total" label="Total" title={`Sent + received, ${over}`} class="num" />
            {live && (
              <Head
                v={v}
                k="now"
                label="Now"
                title="Sent + received, bit/s over the last 3 finished seconds"
                class="num"
              />
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((h, i) => (
            <tr
              key={h.address}
              data-address={h.address}
              data-rate={rate(h)}
              class={v.host === h.address ? "selected" : ""}
            >
              <td class="rank">{i + 1}</td>
              <td class="host">
                <button
                  type="button"
                  class="link host-name"
                  title={`${h.address}${h.name ? ` (${h.name})` : ""}: open its host view`}
                  onClick={() => (view.value = { ...view.peek(), hostview: h.address })}
                >
                  {softBreaks(h.name ?? h.address)}
                </button>
                {(h.country || h.asn !== null) && (
                  <span class="place" title={`${describePlace(h.country, h.asn)} (GeoIP)`}>
                    {formatPlace(h.country, h.asn)}
                  </span>
                )}
                <span class="split" aria-hidden="true">
                  <span class="sent" style={{ width: `${(h.bytes_sent / max) * 100}%` }}></span>
                  <span class="received" style={{ width: `${(h.bytes_received / max) * 100}%` }}>
                  </span>
                </span>
              </td>
              <td class="num opt" title={`${formatCount(h.bytes_sent)} bytes`}>
                {formatBytes(h.bytes_sent)}
              </td>
              <td class="num opt" title={`${formatCount(h.bytes_received)} bytes`}>
                {formatBytes(h.bytes_received)}
              </td>
              <td class="num" title={`${formatCount(total(h))} bytes`}>
                {formatBytes(total(h))}
              </td>
              {live && <td class="num strong">{formatByteRateAsBits(rate(h))}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      {t.error && <p class="error" role="alert">{t.error}</p>}
      {stale && <StaleNote empty={rows.length === 0} />}
      {t.data && rows.length === 0 && !stale && (
        <p class="empty">
          {live && v.window === "now" ? "No host is sending or receiving now." : "No traffic."}
        </p>
      )}
      {!t.data && !t.error && !stale && <p class="empty">Loading…</p>}
      <p class="legend">
        <span class="key sent"></span>sent <span class="key received"></span>received · {over}
        {live ? " · Now: bit/s, last 3 finished s" : ""} · click a host for its details
      </p>
    </div>
  );
}
