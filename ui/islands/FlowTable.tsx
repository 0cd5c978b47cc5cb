// Island: the flow table: search, filters, sortable columns, pages, and a row's details.

import { useEffect, useRef, useState } from "preact/hooks";
import type { FlowRecord } from "../../server/wire.ts";
import { FlowDetails, flowRate } from "../components/FlowDetails.tsx";
import {
  formatBitRate,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatEndpoint,
} from "../client/format.ts";
import { flowPage, flowsLive, view } from "../client/store.ts";
import {
  MAX_OFFSET,
  PAGE_SIZES,
  type SortKey,
  STATES,
  toggleSort,
  type ViewState,
  withFilters,
} from "../client/view_state.ts";

const PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "gre", "esp", "sctp"];

interface Column {
  label: string;
  sort?: SortKey;
  class?: string;
  cell(f: FlowRecord): string;
  title?(f: FlowRecord): string;
}

const COLUMNS: Column[] = [
  { label: "Proto", cell: (f) => f.proto },
  {
    label: "Client",
    class: "addr",
    cell: (f) => formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port),
    title: (f) => formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port),
  },
  {
    label: "Server",
    class: "addr",
    cell: (f) => formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port),
    title: (f) => formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port),
  },
  { label: "Service", class: "opt", cell: (f) => f.service ?? "" },
  { label: "State", class: "opt", cell: (f) => f.state },
  {
    label: "Packets",
    sort: "packets",
    class: "num",
    cell: (f) => formatCount(f.packets_c2s + f.packets_s2c),
  },
  {
    label: "Bytes",
    sort: "bytes",
    class: "num",
    cell: (f) => formatBytes(f.bytes_c2s + f.bytes_s2c),
    title: (f) =>
      `${formatCount(f.bytes_c2s + f.bytes_s2c)} bytes: ${
        formatCount(f.bytes_c2s)
      } sent by the client, ${formatCount(f.bytes_s2c)} by the server`,
  },
  { label: "Rate", sort: "rate", class: "num", cell: (f) => formatBitRate(flowRate(f)) },
  {
    label: "Duration",
    sort: "duration",
    class: "num opt",
    cell: (f) => formatDuration(f.last_ts - f.first_ts),
  },
  { label: "First seen", sort: "first", class: "num opt", cell: (f) => formatClock(f.first_ts) },
  { label: "Last seen", sort: "last", class: "num", cell: (f) => formatClock(f.last_ts) },
];

/** A text field that edits one view value, committed after a pause in typing or on Enter. */
function useDraft(key: "q" | "host" | "port") {
  const committed = view.value[key];
  const [draft, setDraft] = useState(committed);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => setDraft(committed), [committed]);
  function commit(value: string) {
    clearTimeout(timer.current);
    if (value.trim() !== view.peek()[key]) {
      view.value = withFilters(view.peek(), { [key]: value.trim() });
    }
  }
  return {
    value: draft,
    onInput(e: Event) {
      const value = (e.currentTarget as HTMLInputElement).value;
      setDraft(value);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => commit(value), 350);
    },
    onKeyDown(e: KeyboardEvent) {
      if (e.key === "Enter") commit((e.currentTarget as HTMLInputElement).value);
    },
    onChange(e: Event) {
      commit((e.currentTarget as HTMLInputElement).value);
    },
  };
}

function set(change: Partial<ViewState>): void {
  view.value = withFilters(view.peek(), change);
}

/** The flows card. */
export default function FlowTable() {
  const v = view.value;
  const page = flowPage.value;
  const live = flowsLive.value;
  const [open, setOpen] = useState<FlowRecord | null>(null);
  const q = useDraft("q");
  const host = useDraft("host");
  const port = useDraft("port");
  const flows = page.data?.flows ?? [];
  const total = page.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / v.limit));
  const lastPage = Math.min(pages, Math.floor(MAX_OFFSET / v.limit) + 1);
  const first = total === 0 ? 0 : (v.page - 1) * v.limit + 1;
  const last = Math.min(total, v.page * v.limit);
  const filtered = v.q || v.host || v.proto || v.port || v.state || v.active;

  return (
    <div class="flows">
      <div class="card-head">
        <h2 id="flows-title">Flows</h2>
        <label class="inline toggle">
          <input
            type="checkbox"
            checked={live}
            onChange={(e) => (flowsLive.value = e.currentTarget.checked)}
          />
          <span>Live updates</span>
        </label>
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="wide">
          <span>Search</span>
          <input
            type="search"
            name="q"
            placeholder="Address, port, service or protocol"
            autocomplete="off"
            {...q}
          />
        </label>
        <label>
          <span>Host or CIDR</span>
          <input
            type="text"
            name="host"
            placeholder="10.0.0.0/8"
            autocomplete="off"
            spellcheck={false}
            {...host}
          />
        </label>
        <label class="narrow">
          <span>Port</span>
          <input type="text" name="port" inputMode="numeric" pattern="[0-9]*" {...port} />
        </label>
        <label class="narrow">
          <span>Protocol</span>
          <select value={v.proto} onChange={(e) => set({ proto: e.currentTarget.value })}>
            <option value="">any</option>
            {[...new Set([...PROTOCOLS, ...(v.proto ? [v.proto] : [])])].map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label class="narrow">
          <span>State</span>
          <select value={v.state} onChange={(e) => set({ state: e.currentTarget.value })}>
            <option value="">any</option>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label class="medium">
          <span>Flows</span>
          <select
            value={v.active}
            onChange={(e) => set({ active: e.currentTarget.value as ViewState["active"] })}
          >
            <option value="">active and ended</option>
            <option value="true">active</option>
            <option value="false">ended</option>
          </select>
        </label>
        {filtered && (
          <button
            type="button"
            class="clear"
            onClick={() =>
              view.value = {
                ...view.peek(),
                q: "",
                host: "",
                port: "",
                proto: "",
                state: "",
                active: "",
                page: 1,
              }}
          >
            Clear filters
          </button>
        )}
      </form>
      {page.error && <p class="error" role="alert">{page.error}</p>}
      <div class="table-wrap">
        <table class="data flow-table" aria-labelledby="flows-title" data-testid="flows">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.label}
                  scope="col"
                  class={c.class}
                  aria-sort={c.sort && v.sort === c.sort
                    ? (v.order === "asc" ? "ascending" : "descending")
                    : undefined}
                >
                  {c.sort
                    ? (
                      <button
                        type="button"
                        class="sort"
                        data-sort={c.sort}
                        onClick={() => (view.value = toggleSort(view.peek(), c.sort!))}
                      >
                        {c.label}
                        <span class="arrow" aria-hidden="true">
                          {v.sort === c.sort ? (v.order === "asc" ? "▲" : "▼") : "↕"}
                        </span>
                      </button>
                    )
                    : c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {flows.map((f) => (
              <tr
                key={f.id}
                tabIndex={0}
                data-flow-id={f.id}
                data-bytes={f.bytes_c2s + f.bytes_s2c}
                class={f.active ? "active" : "ended"}
                aria-label={`Flow ${f.id}: open details`}
                onClick={() => setOpen(f)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    setOpen(f);
                  }
                }}
              >
                {COLUMNS.map((c) => (
                  <td key={c.label} class={c.class} title={c.title?.(f)}>{c.cell(f)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {page.data && flows.length === 0 && (
          <p class="empty">No flows match{filtered ? " these filters" : " yet"}.</p>
        )}
        {!page.data && !page.error && <p class="empty">Loading…</p>}
      </div>
      <nav class="pager" aria-label="Flow pages">
        <span class="count" data-testid="flow-count" data-total={total} aria-live="polite">
          {total === 0
            ? "0 flows"
            : `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)} flows`}
        </span>
        <label class="inline">
          <span>Rows</span>
          <select
            value={String(v.limit)}
            onChange={(e) => set({ limit: Number(e.currentTarget.value) })}
          >
            {PAGE_SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
        <button
          type="button"
          disabled={v.page <= 1}
          onClick={() => set({ page: Math.max(1, v.page - 1) })}
        >
          ← Previous
        </button>
        <span class="page" data-testid="page">Page {v.page} of {pages}</span>
        <button
          type="button"
          disabled={v.page >= lastPage}
          onClick={() => set({ page: v.page + 1 })}
        >
          Next →
        </button>
      </nav>
      {open && <FlowDetails flow={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
