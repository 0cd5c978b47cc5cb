// Island: what the traffic is, by app, service or protocol, as one stacked bar and a list; a
// row filters the flows and the talkers to it (click again, or "all", to clear).

import { useState } from "preact/hooks";
import { formatBitRate, formatBytes, formatCount, formatShare } from "../client/format.ts";
import { appMix, protocols, view } from "../client/store.ts";
import { isLive, type ViewState, withFilters } from "../client/view_state.ts";
import { StaleNote, streamDown } from "../components/StaleNote.tsx";

/** Rows listed; the rest are summed into "rest". */
const ROWS = 8;

type Mode = "apps" | "services" | "protocols";

/** A row of the mix: what it filters on (null: nothing to filter by). */
interface Row {
  name: string;
  value: number;
  filter: Partial<Pick<ViewState, "app" | "service" | "proto">> | null;
  title: string;
}

/** Protocol classes the flows can be filtered by (the others are not one protocol). */
const FILTERABLE_PROTOCOLS = new Set(["tcp", "udp", "icmp"]);

/** The filter a row of `mode` sets, or null when its name is not one thing to filter by. */
function filterOf(mode: Mode, name: string): Row["filter"] {
  if (mode === "services") return name === "other" ? null : { service: name };
  if (mode === "protocols") return FILTERABLE_PROTOCOLS.has(name) ? { proto: name } : null;
  return name === "unknown" || name === "other" ? null : { app: name };
}

/** Whether the apps come from the flows: when the API has none for the window or range. */
function appsFromFlows(): boolean {
  return (protocols.value?.apps.length ?? 0) === 0;
}

function rowsOf(mode: Mode, rate: boolean): Row[] {
  if (mode === "apps" && appsFromFlows()) {
    const mix = appMix.value;
    const byRate = mix?.by === "rate";
    return (mix?.apps ?? []).map((a) => ({
      name: a.name,
      value: byRate ? a.rate * 8 : a.bytes,
      filter: a.kind === "app"
        ? { app: a.name }
        : a.kind === "service"
        ? { service: a.name }
        : null,
      title: `${a.name}: ${byRate ? formatBitRate(a.rate * 8) : formatBytes(a.bytes)}` +
        (a.flows > 0 ? ` in ${formatCount(a.flows)} flows` : "") +
        (a.kind === "service" ? " (no app named: the port's service)" : ""),
    }));
  }
  const data = protocols.value;
  if (!data) return [];
  const seconds = Math.max(1, data.seconds);
  return data[mode].filter((r) => r.bytes > 0).map((r) => ({
    name: r.name,
    value: rate ? r.bytes * 8 / seconds : r.bytes,
    filter: filterOf(mode, r.name),
    title: `${r.name}: ${formatBytes(r.bytes)}, ${formatCount(r.packets)} packets`,
  }));
}

function selectedOf(v: ViewState): string {
  return v.app || v.service || v.proto;
}

/** The mix card. */
export default function Mix() {
  const [mode, setMode] = useState<Mode>("apps");
  const v = view.value;
  const live = isLive(v);
  const mix = appMix.value;
  // Shares of "now" are rates: bit/s over the last 3 finished seconds.
  const fromFlows = mode === "apps" && appsFromFlows();
  const rate = fromFlows ? mix?.by === "rate" : live && v.window === "now";
  // A live window's figures go stale while the stream is down: say so, never "no traffic".
  const stale = live && streamDown();
  // The flows the apps were summed from, when they were: "the 334 active flows".
  const summed = fromFlows && mix && mix.fromFlows > 0
    ? `the ${formatCount(mix.fromFlows)} ${
      mix.allFlows ? "" : mix.by === "rate" ? "fastest " : "biggest "
    }${mix.by === "rate" ? "active " : ""}flows`
    : "";
  const all = rowsOf(mode, rate);
  const rows = all.length <= ROWS + 1 ? all : [
    ...all.slice(0, ROWS),
    {
      name: `${all.length - ROWS} more`,
      value: all.slice(ROWS).reduce((s, r) => s + r.value, 0),
      filter: null,
      title: all.slice(ROWS).map((r) => r.name).join(", "),
    },
  ];
  const whole = rows.reduce((s, r) => s + r.value, 0);
  const selected = selectedOf(v);
  const show = (x: number) => rate ? formatBitRate(x) : formatBytes(x);
  const over = !live
    ? "over the chart's range"
    : v.window === "now"
    ? "now (bit/s, last 3 finished s)"
    : `over the last ${v.window.replace("m", " min")}`;

  function pick(r: Row) {
    if (!r.filter) return;
    const clear = { app: "", service: "", proto: "" };
    const same = Object.values(r.filter)[0] === selected;
    view.value = withFilters(view.peek(), same ? clear : { ...clear, ...r.filter });
  }

  return (
    <div class={stale ? "mix stale" : "mix"}>
      <div class="card-head">
        <h2 id="mix-title">Traffic mix</h2>
        <div class="segmented" role="group" aria-label="Mix by">
          {(["apps", "services", "protocols"] as const).map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={mode === m}
              onClick={() => setMode(m)}
            >
              {m === "apps" ? "Apps" : m === "services" ? "Services" : "Protocols"}
            </button>
          ))}
        </div>
      </div>
      <div class="stack" aria-hidden="true">
        {rows.map((r, i) => (
          <span
            key={r.name}
            class={r.filter || i < ROWS ? `s${(i % 8) + 1}` : "rest"}
            style={{ width: `${whole > 0 ? (r.value / whole) * 100 : 0}%` }}
          >
          </span>
        ))}
      </div>
      <ul class="mix-list" aria-labelledby="mix-title" data-testid="mix" data-mode={mode}>
        {rows.map((r, i) => (
          <li key={r.name}>
            <button
              type="button"
              class={`mix-row${r.filter ? "" : " static"}`}
              disabled={!r.filter}
              aria-pressed={r.filter ? selected === Object.values(r.filter)[0] : undefined}
              data-name={r.name}
              data-filter={r.filter ? Object.keys(r.filter)[0] : ""}
              title={r.filter ? `${r.title}. Click to show only its flows and hosts` : r.title}
              onClick={() => pick(r)}
            >
              <span
                class={`swatch ${r.filter || i < ROWS ? `s${(i % 8) + 1}` : "rest"}`}
                aria-hidden="true"
              >
              </span>
              <span class="mix-name">{r.name}</span>
              <span class="mix-value">{show(r.value)}</span>
              <span class="mix-share">{formatShare(r.value, whole)}</span>
            </button>
          </li>
        ))}
      </ul>
      {stale && <StaleNote empty={rows.length === 0} />}
      {rows.length === 0 && !stale && (
        <p class="empty" data-testid="mix-empty">
          {!protocols.value
            ? "Loading…"
            : !rate
            ? "No traffic."
            : summed
            ? `No traffic in the last 3 s: none of ${summed} sent.`
            : "No traffic in the last 3 s."}
        </p>
      )}
      <p class="legend">
        {over}
        {summed && rows.length > 0 ? ` · apps summed from ${summed}` : ""}
        {selected && (
          <>
            {" "}· showing {selected} only ·{" "}
            <button
              type="button"
              class="link inline"
              onClick={() =>
                view.value = withFilters(view.peek(), { app: "", service: "", proto: "" })}
            >
              all
            </button>
          </>
        )}
      </p>
    </div>
  );
}
