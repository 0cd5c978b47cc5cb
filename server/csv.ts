// Flow records as CSV (RFC 4180): a header of the JSON field names, one row per flow.

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

function field(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  // Server names come from the wire, chosen by any client: a spreadsheet would run one that
  // starts like a formula, so it gets the leading quote spreadsheets read as "text" (OWASP).
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text of `flows`, CRLF line ends, header first. */
export function flowsCsv(flows: FlowRecord[]): string {
  const lines = [FLOW_COLUMNS.join(",")];
  for (const flow of flows) lines.push(FLOW_COLUMNS.map((c) => field(flow[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}
