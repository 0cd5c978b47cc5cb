// The ClickHouse schema Netwatch writes: a flows table, a per-minute rollup and its view; rows.
//
// Kept to what ClickHouse 18.16 (Debian's) and current releases both accept: no TTL, no
// DateTime64, no IPv6 or LowCardinality types, no Bool. Addresses are String, the same text
// the API prints: queries read `WHERE src_ip = '10.0.0.1'`, IPv4 and IPv6 share a column, and
// current releases convert with toIPv6(src_ip) when needed; sorted by time, the text
// compresses to a few bytes more per address than FixedString(16) would.
//
// `date` (the UTC day of the record's last packet) is the partition key: retention drops
// whole days (ALTER TABLE ... DROP PARTITION), which works where TTL does not. `time` (the
// last packet, whole seconds) leads the sort key, so time-range queries read only the ranges
// they ask for; the exporter follows, so one agent's flows sit together within a second.

import type { ExportFlow } from "./types.ts";

/** Table and view names, in the destination's database. */
export const FLOWS_TABLE = "flows";
export const ROLLUP_TABLE = "flows_1m";
export const ROLLUP_VIEW = "flows_1m_mv";

/** Columns of the flows table, in order, with their ClickHouse types. */
export const FLOW_COLUMNS: readonly (readonly [string, string])[] = [
  ["date", "Date"],
  ["time", "DateTime"],
  ["exporter", "String"],
  ["id", "UInt64"],
  ["proto", "String"],
  ["src_ip", "String"],
  ["src_port", "UInt16"],
  ["dst_ip", "String"],
  ["dst_port", "UInt16"],
  ["vlan", "Nullable(UInt16)"],
  ["packets_c2s", "UInt64"],
  ["bytes_c2s", "UInt64"],
  ["packets_s2c", "UInt64"],
  ["bytes_s2c", "UInt64"],
  ["first_ts", "Float64"],
  ["last_ts", "Float64"],
  ["state", "String"],
  ["service", "Nullable(String)"],
  ["no_ports", "UInt8"],
  ["end_reason", "String"],
  ["tcp_flags_c2s", "UInt8"],
  ["tcp_flags_s2c", "UInt8"],
  ["ip_version", "UInt8"],
  ["server_name", "Nullable(String)"],
  ["app", "Nullable(String)"],
  ["tunnel", "Nullable(String)"],
];

/** A database or table name ClickHouse takes unquoted (letters, digits, underscore). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The statements that create the schema in `database` if it is missing, in order. */
export function schemaStatements(database: string): string[] {
  if (!IDENTIFIER.test(database)) {
    throw new TypeError(`ClickHouse database name "${database}" is not [A-Za-z_][A-Za-z0-9_]*`);
  }
  const db = database;
  const columns = FLOW_COLUMNS.map(([name, type]) => `  ${name} ${type}`).join(",\n");
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${FLOWS_TABLE} (\n${columns}\n)\n` +
    `ENGINE = MergeTree\nPARTITION BY toYYYYMMDD(date)\nORDER BY (time, exporter)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${ROLLUP_TABLE} (\n` +
    `  date Date,\n  minute DateTime,\n  exporter String,\n  proto String,\n` +
    `  service String,\n  flows UInt64,\n  packets_c2s UInt64,\n  bytes_c2s UInt64,\n` +
    `  packets_s2c UInt64,\n  bytes_s2c UInt64\n)\n` +
    `ENGINE = SummingMergeTree\nPARTITION BY toYYYYMMDD(date)\n` +
    `ORDER BY (minute, exporter, proto, service)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${ROLLUP_VIEW} TO ${db}.${ROLLUP_TABLE} AS\n` +
    `SELECT date, toStartOfMinute(time) AS minute, exporter, proto,\n` +
    `  ifNull(service, '') AS service, count() AS flows,\n` +
    `  sum(packets_c2s) AS packets_c2s, sum(bytes_c2s) AS bytes_c2s,\n` +
    `  sum(packets_s2c) AS packets_s2c, sum(bytes_s2c) AS bytes_s2c\n` +
    `FROM ${db}.${FLOWS_TABLE}\nGROUP BY date, minute, exporter, proto, service`,
  ];
}

/** YYYY-MM-DD of epoch second `sec`, in UTC. */
export function utcDay(sec: number): string {
  return new Date(Math.floor(sec) * 1000).toISOString().slice(0, 10);
}

/** The JSONEachRow line of one record, written by `exporter` (no trailing newline). */
export function flowRow(flow: ExportFlow, exporter: string): string {
  return JSON.stringify({
    date: utcDay(flow.last_ts),
    time: Math.floor(flow.last_ts),
    exporter,
    id: flow.id,
    proto: flow.proto,
    src_ip: flow.src_ip,
    src_port: flow.src_port,
    dst_ip: flow.dst_ip,
    dst_port: flow.dst_port,
    vlan: flow.vlan,
    packets_c2s: flow.packets_c2s,
    bytes_c2s: flow.bytes_c2s,
    packets_s2c: flow.packets_s2c,
    bytes_s2c: flow.bytes_s2c,
    first_ts: flow.first_ts,
    last_ts: flow.last_ts,
    state: flow.state,
    service: flow.service,
    no_ports: flow.no_ports ? 1 : 0,
    end_reason: flow.end_reason,
    tcp_flags_c2s: flow.tcp_flags_c2s,
    tcp_flags_s2c: flow.tcp_flags_s2c,
    ip_version: flow.ip_version,
    server_name: flow.server_name ?? null,
    app: flow.app ?? null,
    tunnel: flow.tunnel ?? null,
  });
}
