// The API's vocabulary in one place: sort keys, windows, states, topics and limits.
//
// The server's zod schemas (schemas.ts) are built from these lists, and the dashboard imports
// them too, so a value cannot mean one thing to the server and another to the page. This module
// touches no runtime API and imports only flows/sort_keys.ts, a list with no imports of its own
// (the engine and the history store sort by it, so it lives in flows/): it is the one server
// module the browser bundle may import (everything else the UI takes with `import type`). Types
// derived from the schemas live in schemas.ts (z.infer).

/** What a /flows page can be sorted by; flows/sort_keys.ts says what each key means. */
export { SORT_KEYS, type SortKey } from "../flows/sort_keys.ts";

export const SORT_ORDERS = ["asc", "desc"] as const;

/** Windows of talkers and protocols: "now" is the last 3 finished seconds. */
export const WINDOWS = ["now", "1m", "5m", "15m", "60m"] as const;
export type WindowName = typeof WINDOWS[number];

/** What talkers rank by. */
export const TALKER_MEASURES = ["bytes", "packets", "sent", "received"] as const;

export const SERIES_METRICS = ["bps", "pps"] as const;
export const SERIES_BREAKDOWNS = ["none", "protocol", "service", "app"] as const;

/** Topics of the WebSocket stream. */
export const TOPICS = ["rates", "protocols", "talkers", "flows", "stats"] as const;

/**
 * Connection states (Zeek's conn_state), each with what it means, for filters and legends.
 * The originator is the client, the responder the server (flows/tcp_state.ts decides).
 */
export const CONN_STATES = {
  S0: "Connection attempt seen, no reply",
  S1: "Established, not closed",
  SF: "Normal establishment and close",
  REJ: "Attempt rejected (the server answered with a reset)",
  S2: "Established, the client closed, no answer to it",
  S3: "Established, the server closed, no answer to it",
  RSTO: "Established, the client aborted (reset)",
  RSTR: "The server aborted (reset)",
  RSTOS0: "The client sent a SYN then a reset; no SYN-ACK seen",
  RSTRH: "The server sent a SYN-ACK then a reset; no SYN from the client seen",
  SH: "The client sent a SYN then a FIN; no SYN-ACK seen (half-open)",
  SHR: "The server sent a SYN-ACK then a FIN; no SYN from the client seen",
  OTH: "No handshake seen (the flow was already running), or not TCP with one side silent",
} as const;
export type ConnStateName = keyof typeof CONN_STATES;
export const CONN_STATE_NAMES = Object.keys(CONN_STATES) as ConnStateName[];

/** Limits every client sees the same. */
export const LIMITS = {
  /** Rows of a /flows page at most, and by default. */
  pageMax: 1000,
  pageDefault: 50,
  /** Deepest /flows offset; beyond it, page with `cursor`. */
  offsetMax: 100_000,
  /** Talkers at most, and by default. */
  talkersMax: 1000,
  talkersDefault: 10,
  /** Points one /series answer holds at most. */
  seriesPointsMax: 3600,
  /** Stream update intervals. */
  intervalMinMs: 100,
  intervalMaxMs: 60_000,
  intervalDefaultMs: 1000,
} as const;
