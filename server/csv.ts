// Flow records as CSV (RFC 4180): a header of the JSON field names, one row per flow.
//
// Text cells can hold names learnt from traffic (an HTTP Host, a TLS SNI, a DNS name), which
// anyone on the network chooses. A spreadsheet runs a cell that starts with = + - @ (or a tab or
// CR before one) as a formula (CSV injection, OWASP): such text cells get a leading ' so
// spreadsheets show them as text. Numbers are never touched.

import type { FlowRecord } from "./wire.ts";

/** Columns, in the order of the JSON record. */
export const FLOW_COLUMNS: readonly (keyof FlowRecord)[] = [
  "id",
  "active",
  "proto",
  "src_ip",
  "src_port",
  "dst_ip",
  "dst_port",
  "vlan",
  "packets_c2s",
  "bytes_c2s",
  "packets_s2c",
  "bytes_s2c",
  "first_ts",
  "last_ts",
  "state",
  "service",
  "no_ports",
  "aggregate",
  "rate_now",
  "server_name",
  "app",
  "tunnel",
];

/** First characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

function field(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" && FORMULA_START.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text of `flows`, CRLF line ends, header first. */
export function flowsCsv(flows: FlowRecord[]): string {
  const lines = [FLOW_COLUMNS.join(",")];
  for (const flow of flows) lines.push(FLOW_COLUMNS.map((c) => field(flow[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}
