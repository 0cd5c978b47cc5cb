// The time range picker: live ranges (1 s points), past ranges from memory or history, and a
// custom span (also what a drag over the chart sets).

import { useState } from "preact/hooks";
import { formatDateTime } from "../client/format.ts";
import { view } from "../client/store.ts";
import {
  type RangeName,
  RANGES,
  type ViewState,
  withRange,
  withSpan,
} from "../client/view_state.ts";

const LABELS: Record<Exclude<RangeName, "custom">, string> = {
  "5m": "5 min",
  "15m": "15 min",
  "1h": "1 h",
  "6h": "6 h",
  "24h": "24 h",
  "7d": "7 d",
  "30d": "30 d",
};

/** `YYYY-MM-DDTHH:MM` (a datetime-local input's value) of epoch seconds, local time. */
function inputValue(epochSec: number): string {
  return formatDateTime(epochSec).replace(" ", "T");
}

/** Props of RangePicker: the view it edits. */
export interface RangePickerProps {
  v: ViewState;
}

/** The range buttons and the custom-span form. */
export function RangePicker({ v }: RangePickerProps) {
  const [editing, setEditing] = useState(false);
  const now = Math.floor(Date.now() / 1000);
  function apply(e: Event) {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const from = Date.parse(String(data.get("from"))) / 1000;
    const to = Date.parse(String(data.get("to"))) / 1000;
    if (Number.isFinite(from) && Number.isFinite(to) && from !== to) {
      view.value = withSpan(view.peek(), from, to);
      setEditing(false);
    }
  }
  return (
    <div class="range-picker">
      <div class="segmented wrap" role="group" aria-label="Time range">
        {RANGES.map((r, i) => (
          <button
            key={r}
            type="button"
            class={i === 3 ? "gap" : undefined}
            aria-pressed={v.range === r}
            data-range={r}
            title={i < 3 ? `The last ${LABELS[r as "1h"]}, live (1 s points)` : undefined}
            onClick={() => {
              setEditing(false);
              view.value = withRange(view.peek(), r as Exclude<RangeName, "custom">);
            }}
          >
            {LABELS[r as Exclude<RangeName, "custom">]}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={v.range === "custom"}
          aria-expanded={editing}
          data-range="custom"
          onClick={() => setEditing(!editing)}
        >
          Custom
        </button>
      </div>
      {editing && (
        <form class="custom-range" onSubmit={apply}>
          <label>
            <span>From</span>
            <input
              type="datetime-local"
              name="from"
              required
              value={inputValue(v.from ?? now - 3600)}
            />
          </label>
          <label>
            <span>To</span>
            <input type="datetime-local" name="to" required value={inputValue(v.to ?? now)} />
          </label>
          <button type="submit">Show</button>
        </form>
      )}
    </div>
  );
}
