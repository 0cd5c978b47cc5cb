// The flow table's filters: search, host, port, protocol, state, active/ended, and the app or
// service the mix chose (shown as a removable chip).

import { useEffect, useRef, useState } from "preact/hooks";
import { view } from "../client/store.ts";
import { viewHistory } from "../client/view_history.ts";
import { STATES, type ViewState, withFilters } from "../client/view_state.ts";

const PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "gre", "esp", "sctp"];

/**
 * A text field that edits one view value, applied after a pause in typing and on Enter or
 * leaving the field; one burst of typing is one history entry (view_history.ts).
 */
function useDraft(key: "q" | "host" | "port") {
  const committed = view.value[key];
  const [draft, setDraft] = useState(committed);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => setDraft(committed), [committed]);
  /** Applies `value`; `final`: the user is done with the field (Enter, or left it). */
  function commit(value: string, final: boolean) {
    clearTimeout(timer.current);
    if (value.trim() !== view.peek()[key]) {
      viewHistory.typing(key);
      view.value = withFilters(view.peek(), { [key]: value.trim() });
    }
    if (final) viewHistory.committed();
  }
  return {
    value: draft,
    onInput(e: Event) {
      const value = (e.currentTarget as HTMLInputElement).value;
      setDraft(value);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => commit(value, false), 350);
    },
    onKeyDown(e: KeyboardEvent) {
      if (e.key === "Enter") commit((e.currentTarget as HTMLInputElement).value, true);
    },
    onChange(e: Event) {
      commit((e.currentTarget as HTMLInputElement).value, true);
    },
  };
}

function set(change: Partial<ViewState>): void {
  view.value = withFilters(view.peek(), change);
}

/** Whether any filter of the flow table is set. */
export function isFiltered(v: ViewState): boolean {
  return Boolean(v.q || v.host || v.proto || v.port || v.state || v.active || v.app || v.service);
}

/** Id of the flow table's error message, which describes a field the API refused. */
export const FLOWS_ERROR_ID = "flows-error";

/** Props of FlowFilters: the view, and the parameter the API refused (its field is marked). */
export interface FlowFiltersProps {
  v: ViewState;
  invalid?: string | null;
}

/** The filter form. */
export function FlowFilters({ v, invalid }: FlowFiltersProps) {
  // The field the API refused says so to screen readers (and looks it), pointing at why.
  const check = (key: string) =>
    invalid === key
      ? { "aria-invalid": true as const, "aria-describedby": FLOWS_ERROR_ID }
      : { "aria-invalid": undefined, "aria-describedby": undefined };
  const q = { ...useDraft("q"), ...check("q") };
  const host = { ...useDraft("host"), ...check("host") };
  const port = { ...useDraft("port"), ...check("port") };
  return (
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
      {(v.app || v.service) && (
        <button
          type="button"
          class="chip"
          data-testid="mix-chip"
          title="Set from the traffic mix: click to remove"
          onClick={() => set({ app: "", service: "" })}
        >
          {v.app ? `App: ${v.app}` : `Service: ${v.service}`} ✕
        </button>
      )}
      {isFiltered(v) && (
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
              app: "",
              service: "",
              page: 1,
            }}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
