// The dashboard's view (flow filters, sort, page, chart range, talkers window) and its URL form.
//
// Only values that differ from the defaults go into the query string, in a fixed order, so a
// shared or bookmarked link is short and stable. Values that make no sense fall back to defaults.

/** Columns the flow table sorts by (the API's `sort` values). */
export type SortKey = "bytes" | "packets" | "duration" | "rate" | "first" | "last";
/** Windows of top talkers and the protocol breakdown. */
export type WindowName = "now" | "1m" | "5m" | "15m" | "60m";

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
  sort: SortKey;
  order: "asc" | "desc";
  /** Rows per page. */
  limit: number;
  /** 1-based page number. */
  page: number;
  /** Minutes of throughput the chart shows. */
  range: number;
  /** Window of top talkers and the protocol breakdown. */
  window: WindowName;
}

export const SORT_KEYS: readonly SortKey[] = [
  "bytes",
  "packets",
  "duration",
  "rate",
  "first",
  "last",
];
export const WINDOWS: readonly WindowName[] = ["now", "1m", "5m", "15m", "60m"];
export const RANGES: readonly number[] = [1, 5, 15, 60];
export const PAGE_SIZES: readonly number[] = [25, 50, 100, 200];
/** Zeek-style connection states the API filters on. */
export const STATES: readonly string[] = [
  "S0",
  "S1",
  "SF",
  "REJ",
  "S2",
  "S3",
  "RSTO",
  "RSTR",
  "RSTOS0",
  "RSTRH",
  "SH",
  "SHR",
  "OTH",
];
/** The API's deepest offset: pages past it are not offered. */
export const MAX_OFFSET = 100_000;

/** The view of a fresh page: biggest flows first, 5 minutes of throughput. */
export const DEFAULT_VIEW: Readonly<ViewState> = Object.freeze({
  q: "",
  proto: "",
  port: "",
  host: "",
  state: "",
  active: "",
  sort: "bytes",
  order: "desc",
  limit: 50,
  page: 1,
  range: 5,
  window: "5m",
});

const ORDER: readonly (keyof ViewState)[] = [
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
  "range",
  "window",
];

function pick<T>(value: string | null, allowed: readonly T[], fallback: T): T {
  const found = allowed.find((a) => String(a) === value);
  return found === undefined ? fallback : found;
}

/** The view a query string (with or without `?`) describes; anything invalid is the default. */
export function parseView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const text = (name: string, max: number) => (p.get(name) ?? "").trim().slice(0, max);
  const port = text("port", 5);
  const page = Number(p.get("page"));
  const limit = pick(p.get("limit"), PAGE_SIZES, DEFAULT_VIEW.limit);
  const proto = text("proto", 20).toLowerCase();
  return {
    q: text("q", 100),
    host: text("host", 100),
    proto: /^[a-z0-9-]*$/.test(proto) ? proto : "",
    port: /^\d+$/.test(port) && Number(port) <= 65535 ? String(Number(port)) : "",
    state: pick(p.get("state"), STATES, ""),
    active: pick(p.get("active"), ["true", "false"] as const, ""),
    sort: pick(p.get("sort"), SORT_KEYS, DEFAULT_VIEW.sort),
    order: pick(p.get("order"), ["asc", "desc"] as const, DEFAULT_VIEW.order),
    limit,
    page: Number.isInteger(page) && page >= 1 && (page - 1) * limit <= MAX_OFFSET ? page : 1,
    range: pick(p.get("range"), RANGES, DEFAULT_VIEW.range),
    window: pick(p.get("window"), WINDOWS, DEFAULT_VIEW.window),
  };
}

/** The query string of a view, `?`-prefixed, or "" when everything is the default. */
export function serializeView(view: ViewState): string {
  const p = new URLSearchParams();
  for (const key of ORDER) {
    if (view[key] !== DEFAULT_VIEW[key]) p.set(key, String(view[key]));
  }
  const text = p.toString();
  return text === "" ? "" : `?${text}`;
}

/** The /api/v1/flows parameters of a view (filters, sort and the page as limit and offset). */
export function flowQuery(view: ViewState): Record<string, string> {
  const query: Record<string, string> = {};
  if (view.q) query.q = view.q;
  if (view.host) query.host = view.host;
  if (view.proto) query.proto = view.proto;
  if (view.port) query.port = view.port;
  if (view.state) query.state = view.state;
  if (view.active) query.active = view.active;
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

/** The view with filter fields changed; any filter change goes back to page 1. */
export function withFilters(view: ViewState, change: Partial<ViewState>): ViewState {
  return { ...view, ...change, page: change.page ?? 1 };
}
