// report --flows as text: one aligned row per flow under a header, for reading in a terminal.

import type { FlowRecord } from "../flows/flow_record.ts";

/** Columns: header, and the text of a flow's cell. */
const COLUMNS: [string, (f: FlowRecord) => string][] = [
  ["proto", (f) => f.proto],
  ["client", (f) => f.aggregate ? "(many: one-packet flows)" : endpoint(f.src_ip, f.src_port, f)],
  ["server", (f) => endpoint(f.dst_ip, f.dst_port, f)],
  ["pkts/bytes c>s", (f) => `${f.packets_c2s}/${f.bytes_c2s}`],
  ["pkts/bytes s>c", (f) => `${f.packets_s2c}/${f.bytes_s2c}`],
  ["state", (f) => f.state || "-"],
  ["service", (f) => f.service ?? "-"],
  ["app", (f) => f.app ?? "-"],
  ["server name", (f) => f.server_name ?? "-"],
  ["tunnel", (f) => f.tunnel ?? "-"],
  ["vlan", (f) => f.vlan === null ? "-" : String(f.vlan)],
];

/** A cell wider than this is not used to size its column (it overflows, the rest stays put). */
const MAX_WIDTH = 48;

function endpoint(ip: string, port: number, f: FlowRecord): string {
  const address = ip.includes(":") ? `[${ip}]` : ip;
  return f.no_ports ? address : `${address}:${port}`;
}

/**
 * The flows as a table: a header, then one row per flow, columns two spaces apart and padded to
 * the widest cell (up to MAX_WIDTH); trailing spaces trimmed.
 */
export function flowsTable(flows: readonly FlowRecord[]): string {
  const rows = flows.map((f) => COLUMNS.map(([, cell]) => cell(f)));
  const widths = COLUMNS.map(([header], c) => {
    let width = header.length;
    for (const row of rows) {
      if (row[c].length > width && row[c].length <= MAX_WIDTH) width = row[c].length;
    }
    return width;
  });
  const line = (cells: string[]) =>
    cells.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd();
  return [line(COLUMNS.map(([header]) => header)), ...rows.map(line)].join("\n");
}
