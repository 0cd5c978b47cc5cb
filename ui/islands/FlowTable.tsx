// Island: the flow table: filters, sortable columns (current rate beside the average), pages,
// a legend of states, and a row's details. On a phone each row is a small card.

import { useState } from "preact/hooks";
import type { FlowRecord } from "../../server/wire.ts";
import { STATE_MEANINGS } from "../client/conn_states.ts";
import { FlowDetails } from "../components/FlowDetails.tsx";
import { FLOW_COLUMNS, flowRate, flowRateNow } from "../components/flow_columns.tsx";
import { FlowFilters, FLOWS_ERROR_ID, isFiltered } from "../components/FlowFilters.tsx";
import { StaleNote, streamDown } from "../components/StaleNote.tsx";
import { formatCount, formatDateTime } from "../client/format.ts";
import { chartMeta, flowPage, flowsLive, serverSecond, view } from "../client/store.ts";
import { isLive, MAX_OFFSET, PAGE_SIZES, toggleSort, withFilters } from "../client/view_state.ts";

/** The flows card. */
export default function FlowTable() {
  const v = view.value;
  const page = flowPage.value;
  const live = flowsLive.value;
  const lastFinished = serverSecond.value;
  const meta = chartMeta.value;
  const [open, setOpen] = useState<FlowRecord | null>(null);
  const flows = page.data?.flows ?? [];
  const total = page.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / v.limit));
  const lastPage = Math.min(pages, Math.floor(MAX_OFFSET / v.limit) + 1);
  const first = total === 0 ? 0 : (v.page - 1) * v.limit + 1;
  const last = Math.min(total, v.page * v.limit);
  const filtered = isFiltered(v);
  const liveRange = isLive(v);
  // Over a range of days, times of several days are compared: each with its date.
  const at = { lastFinished, dated: !liveRange && meta.to - meta.from > 86400 };
  // Followed live, the rows go stale while the stream is down: say so, never "no flows".
  const stale = liveRange && live && streamDown();

  return (
    <div class="flows">
      <div class="card-head">
        <h2 id="flows-title">Flows</h2>
        {liveRange
          ? (
            <label class="inline toggle">
              <input
                type="checkbox"
                checked={live}
                onChange={(e) => (flowsLive.value = e.currentTarget.checked)}
              />
              <span>Live updates</span>
            </label>
          )
          : (
            <span class="muted" data-testid="flows-span">
              with traffic from {formatDateTime(meta.from, true)} to{" "}
              {formatDateTime(meta.to + 1, true)}
            </span>
          )}
      </div>
      <FlowFilters v={v} invalid={page.parameter} />
      {page.error && <p class="error" role="alert" id={FLOWS_ERROR_ID}>{page.error}</p>}
      {stale && <StaleNote empty={flows.length === 0} />}
      <div class="table-wrap">
        <table
          class={`data flow-table${stale ? " stale" : ""}`}
          aria-labelledby="flows-title"
          data-testid="flows"
        >
          <thead>
            <tr>
              {FLOW_COLUMNS.map((c) => (
                <th
                  key={c.label}
                  scope="col"
                  class={c.class}
                  title={c.help}
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
                data-rate-now={flowRateNow(f, lastFinished)}
                data-avg={flowRate(f)}
                data-app={f.app ?? ""}
                data-first={f.first_ts}
                data-last={f.last_ts}
                class={f.active ? "active" : "ended"}
                aria-label={`Flow ${f.id}${f.active ? "" : " (ended)"}: open details`}
                onClick={() => setOpen(f)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    setOpen(f);
                  }
                }}
              >
                {FLOW_COLUMNS.map((c) => (
                  <td key={c.label} class={c.class} data-label={c.label} title={c.title?.(f)}>
                    {c.cell(f, at)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {page.data && flows.length === 0 && !stale && (
          <p class="empty">No flows match{filtered ? " these filters" : " yet"}.</p>
        )}
        {!page.data && !page.error && <p class="empty">Loading…</p>}
      </div>
      <nav class="pager" aria-label="Flow pages">
        {/* A query the API refused has no count: "0 flows" would read as its answer. */}
        <span
          class="count"
          data-testid="flow-count"
          data-total={page.error ? undefined : total}
          aria-live="polite"
        >
          {page.error
            ? ""
            : total === 0
            ? "0 flows"
            : `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)} flows`}
        </span>
        <label class="inline">
          <span>Rows</span>
          <select
            value={String(v.limit)}
            onChange={(e) =>
              view.value = withFilters(view.peek(), { limit: Number(e.currentTarget.value) })}
          >
            {PAGE_SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
        <button
          type="button"
          disabled={v.page <= 1}
          onClick={() => (view.value = withFilters(view.peek(), { page: Math.max(1, v.page - 1) }))}
        >
          ← Previous
        </button>
        <span class="page" data-testid="page">Page {v.page} of {pages}</span>
        <button
          type="button"
          disabled={v.page >= lastPage}
          onClick={() => (view.value = withFilters(view.peek(), { page: v.page + 1 }))}
        >
          Next →
        </button>
      </nav>
      <details class="legend states-legend">
        <summary>
          Now: bit/s over the last 3 finished seconds · Avg: over the flow's life · greyed rows
          marked <span class="tag ended-tag">ended</span>{" "}
          are no longer tracked · what the states mean
        </summary>
        <dl>
          {Object.entries(STATE_MEANINGS).map(([code, meaning]) => (
            <div key={code}>
              <dt>{code}</dt>
              <dd>{meaning}</dd>
            </div>
          ))}
        </dl>
      </details>
      {open && <FlowDetails flow={open} onClose={() => setOpen(null)} />}
    </div>
  );
}
