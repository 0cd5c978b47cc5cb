// The dashboard's view (time range, flow filters and sort, talkers window and sort, the mix
// filter, the open host) and its URL form.
//
// Only values that differ from the defaults go into the query string, in a fixed order, so a
// shared or bookmarked link is short and stable. Values that make no sense fall back to defaults.
// Sort keys, windows, states and limits are the API's own (server/vocabulary.ts).

import {
  CONN_STATE_NAMES,
  LIMITS,
  SORT_KEYS,
  type SortKey,
  type WindowName,
  WINDOWS,
} from "../../server/vocabulary.ts";

export { SORT_KEYS, type SortKey, type WindowName, WINDOWS };
/** Ranges of the chart (and, when not live, of everything else): see RANGE_SECONDS. */
export type RangeName = "5m" | "15m" | "1h" | "6h" | "24h" | "7d" | "30d" | "custom";
/** Columns the talkers table sorts by. */
export type TalkerSort = "now" | "total" | "sent" | "received" | "packets" | "host";

/** Everything about what the page shows that a link should carry. */
export interface ViewState {
  /** Free-text search (the API's `q`). */
  q: string;
  /** Protocol name or number, "" for any. */
  proto: string;
  /** Port of either end, "" for any. */
  port: string;
  /** Address or CIDR of either end, "" for any. */
  host: string;
  /** Zeek connection state, "" for any. */
  state: string;
  /** "true": active flows, "false": ended ones, "": both. */
  active: "" | "true" | "false";
  /** App label or part of one (the API's `app`), "" for any: set by clicking the mix. */
  app: string;
  /** Service of the server port (the API's `service`), "" for any: set by clicking the mix. */
  service: string;
  sort: SortKey;
  order: "asc" | "desc";
  /** Rows per page. */
  limit: number;
  /** 1-based page number. */
  page: number;
  /** Time range: live ones end now and update every second; the others come from /series. */
  range: RangeName;
  /** Custom range (range "custom" only): epoch seconds, from < to. */
  from: number | null;
  to: number | null;
  /** Window of top talkers and the mix while the range is live. */
  window: WindowName;
  tsort: TalkerSort;
  torder: "asc" | "desc";
  /** The address whose host view is open, "" when none. */
  hostview: string;
}

export const RANGES: readonly RangeName[] = ["5m", "15m", "1h", "6h", "24h", "7d", "30d"];
/** Ranges that end now and follow the live stream at 1 s. */
export const LIVE_RANGES: readonly RangeName[] = ["5m", "15m", "1h"];
/** Seconds each named range covers. */
export const RANGE_SECONDS: Record<Exclude<RangeName, "custom">, number> = {
  "5m": 300,
  "15m": 900,
  "1h": 3600,
  "6h": 6 * 3600,
  "24h": 86400,
  "7d": 7 * 86400,
  "30d": 30 * 86400,
};
export const TALKER_SORTS: readonly TalkerSort[] = [
  "now",
  "total",
  "sent",
  "received",
  "packets",
  "host",
];
export const PAGE_SIZES: readonly number[] = [25, 50, 100, 200];
/** Zeek-style connection states the API filters on. */
export const STATES: readonly string[] = CONN_STATE_NAMES;
/** The API's deepest offset: pages past it are not offered. */
export const MAX_OFFSET = LIMITS.offsetMax;

/** The view of a fresh page: the live hour, hosts by current rate, biggest flows first. */
export const DEFAULT_VIEW: Readonly<ViewState> = Object.freeze({
  q: "",
  proto: "",
  port: "",
  host: "",
  state: "",
  active: "",
  app: "",
  service: "",
  sort: "bytes",
  order: "desc",
  limit: LIMITS.pageDefault,
  page: 1,
  range: "1h",
  from: null,
  to: null,
  window: "now",
  tsort: "now",
  torder: "desc",
  hostview: "",
});

const ORDER: readonly (keyof ViewState)[] = [
  "range",
  "from",
  "to",
  "window",
  "tsort",
  "torder",
  "app",
  "service",
  "q",
  "host",
  "proto",
  "port",
  "state",
  "active",
  "sort",
  "order",
  "limit",
  "page",
  "hostview",
];

function pick<T>(value: string | null, allowed: readonly T[], fallback: T): T {
  const found = allowed.find((a) => String(a) === value);
  return found === undefined ? fallback : found;
}

/** Whole epoch seconds from text, or null. */
function epoch(text: string | null): number | null {
  if (text === null || !/^\d{1,12}$/.test(text)) return null;
  return Number(text);
}

/** The view a query string (with or without `?`) describes; anything invalid is the default. */
export function parseView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const text = (name: string, max: number) => (p.get(name) ?? "").trim().slice(0, max);
  const port = text("port", 5);
  const page = Number(p.get("page"));
  const limit = pick(p.get("limit"), PAGE_SIZES, DEFAULT_VIEW.limit);
  const proto = text("proto", 20).toLowerCase();
  const from = epoch(p.get("from"));
  const to = epoch(p.get("to"));
  const custom = from !== null && to !== null && from < to;
  return {
    q: text("q", 100),
    host: text("host", 100),
    proto: /^[a-z0-9-]*$/.test(proto) ? proto : "",
    port: /^\d+$/.test(port) && Number(port) <= 65535 ? String(Number(port)) : "",
    state: pick(p.get("state"), STATES, ""),
    active: pick(p.get("active"), ["true", "false"] as const, ""),
    app: text("app", 100),
    service: /^[a-z0-9-]*$/.test(text("service", 30)) ? text("service", 30) : "",
    sort: pick(p.get("sort"), SORT_KEYS, DEFAULT_VIEW.sort),
    order: pick(p.get("order"), ["asc", "desc"] as const, DEFAULT_VIEW.order),
    limit,
    page: Number.isInteger(page) && page >= 1 && (page - 1) * limit <= MAX_OFFSET ? page : 1,
    range: custom ? "custom" : pick(p.get("range"), RANGES, DEFAULT_VIEW.range),
    from: custom ? from : null,
    to: custom ? to : null,
    window: pick(p.get("window"), WINDOWS, DEFAULT_VIEW.window),
    tsort: pick(p.get("tsort"), TALKER_SORTS, DEFAULT_VIEW.tsort),
    torder: pick(p.get("torder"), ["asc", "desc"] as const, DEFAULT_VIEW.torder),
    hostview: /^[0-9a-fA-F.:]{2,45}$/.test(text("hostview", 45)) ? text("hostview", 45) : "",
  };
}

/** The query string of a view, `?`-prefixed, or "" when everything is the default. */
export function serializeView(view: ViewState): string {
  const p = new URLSearchParams();
  for (const key of ORDER) {
    // A custom range is its from and to: "range=custom" would say nothing more.
    if (key === "range" && view.range === "custom") continue;
    if (view[key] !== DEFAULT_VIEW[key]) p.set(key, String(view[key]));
  }
  const text = p.toString();
  return text === "" ? "" : `?${text}`;
}

/** Whether the view's range ends now and follows the stream. */
export function isLive(view: ViewState): boolean {
  return LIVE_RANGES.includes(view.range);
}

/** The filters the mix sets (app, service, protocol), as /flows parameters. */
export function mixQuery(view: ViewState): Record<string, string> {
  const query: Record<string, string> = {};
  if (view.app) query.app = view.app;
  if (view.service) query.service = view.service;
  if (view.proto) query.proto = view.proto;
  return query;
}

/**
 * The /api/v1/flows parameters of a view (filters, sort and the page as limit and offset);
 * `span` limits them to flows with traffic in a range (the chart's, when it is not live).
 */
export function flowQuery(
  view: ViewState,
  span?: { from: number; to: number },
): Record<string, string> {
  const query: Record<string, string> = {};
  if (view.q) query.q = view.q;
  if (view.host) query.host = view.host;
  Object.assign(query, mixQuery(view));
  if (view.port) query.port = view.port;
  if (view.state) query.state = view.state;
  if (view.active) query.active = view.active;
  if (span) {
    query.from = String(span.from);
    query.to = String(span.to);
  }
  query.sort = view.sort;
  query.order = view.order;
  query.limit = String(view.limit);
  const offset = (view.page - 1) * view.limit;
  if (offset > 0) query.offset = String(offset);
  return query;
}

/** The view after clicking column `key`: a new column sorts descending, the same one flips. */
export function toggleSort(view: ViewState, key: SortKey): ViewState {
  const order = view.sort === key ? (view.order === "desc" ? "asc" : "desc") : "desc";
  return { ...view, sort: key, order, page: 1 };
}

/** The view after clicking talkers column `key` (hosts sort ascending first, by name). */
export function toggleTalkerSort(view: ViewState, key: TalkerSort): ViewState {
  const first = key === "host" ? "asc" : "desc";
  const torder = view.tsort === key ? (view.torder === "desc" ? "asc" : "desc") : first;
  return { ...view, tsort: key, torder };
}

/** The view with filter fields changed; any filter change goes back to page 1. */
export function withFilters(view: ViewState, change: Partial<ViewState>): ViewState {
  return { ...view, ...change, page: change.page ?? 1 };
}

/** The view showing range `range` (a named one), leaving any custom span. */
export function withRange(view: ViewState, range: Exclude<RangeName, "custom">): ViewState {
  return { ...view, range, from: null, to: null, page: 1 };
}

/** The view showing the custom span [from, to] (whole seconds, at least 10 s long). */
export function withSpan(view: ViewState, from: number, to: number): ViewState {
  let a = Math.floor(Math.min(from, to));
  let b = Math.ceil(Math.max(from, to));
  if (b - a < 10) {
    const middle = Math.round((a + b) / 2);
    a = middle - 5;
    b = middle + 5;
  }
  return { ...view, range: "custom", from: a, to: b, page: 1 };
}
