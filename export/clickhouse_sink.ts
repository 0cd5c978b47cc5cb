// ClickHouse sink: creates the schema, inserts batches as JSONEachRow over HTTP, drops old days.
//
// Plain fetch rather than @clickhouse/client-web: that client supports only recent server
// releases, and Debian ships 18.16; what Netwatch needs from the HTTP interface is one POST per
// batch and a few DDL statements, which 18.16 and current releases answer the same way. The
// batching, retries and backoff live in the destination runner (exporters.ts) either way.

import { schemaStatements } from "./clickhouse_schema.ts";
import { flowRow, FLOWS_TABLE, ROLLUP_TABLE } from "./clickhouse_schema.ts";
import { ExportError } from "./export_error.ts";
import type { ExportFlow, ExportSink } from "./types.ts";

/** Where and how to write. */
export interface ClickHouseConfig {
  /** The HTTP interface: "http://host:8123/" (or https). */
  endpoint: string;
  database: string;
  user?: string;
  password?: string;
  /** The `exporter` column: this host's name. */
  exporter: string;
  /** Drop day partitions older than this many days; undefined keeps everything. */
  retentionDays?: number;
  /** Longest wait for one request (default 30 s). */
  timeoutMs?: number;
}

/** How often old partitions are looked for. */
const RETENTION_EVERY_MS = 3600_000;
/** ClickHouse error codes no retry fixes: unknown database/table, users, passwords, rights. */
const PERMANENT_CODES = new Set([60, 81, 164, 192, 193, 194, 195, 497, 516]);
/** Codes that mean the rows themselves were refused (parse errors, bad values). */
const REJECTED_CODES = new Set([6, 26, 27, 38, 41, 53, 72, 117]);

/** Writes flow records to one ClickHouse database. */
export class ClickHouseSink implements ExportSink {
  readonly config: ClickHouseConfig;
  #lastRetentionMs = 0;
  readonly #fetch: typeof fetch;
  /** Aborts the request in flight when the sink closes (at shutdown). */
  #abort = new AbortController();

  constructor(config: ClickHouseConfig, fetchImpl: typeof fetch = fetch) {
    this.config = config;
    this.#fetch = fetchImpl;
  }

  /** Creates the database, tables and view if missing, then applies retention. */
  async open(): Promise<void> {
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    for (const statement of schemaStatements(this.config.database)) {
      await this.#query(statement);
    }
    await this.maintain(Date.now());
  }

  async send(batch: readonly ExportFlow[]): Promise<void> {
    if (batch.length === 0) return;
    const exporter = this.config.exporter;
    const body = batch.map((flow) => flowRow(flow, exporter)).join("\n") + "\n";
    await this.#query(
      `INSERT INTO ${this.config.database}.${FLOWS_TABLE} FORMAT JSONEachRow`,
      body,
    );
  }

  /** Drops day partitions older than the retention, at most once an hour. */
  async maintain(nowMs: number): Promise<void> {
    const days = this.config.retentionDays;
    if (days === undefined || nowMs - this.#lastRetentionMs < RETENTION_EVERY_MS) return;
    await this.dropOldPartitions(nowMs);
    this.#lastRetentionMs = nowMs;
  }

  /**
   * Drops every partition of the flows and rollup tables whose day is more than
   * retentionDays before today (UTC), so at least that many whole days stay. Returns the
   * partitions dropped, as "table/YYYYMMDD". Several agents may do this at once: dropping a
   * partition that is already gone is no error.
   */
  async dropOldPartitions(nowMs: number): Promise<string[]> {
    const days = this.config.retentionDays;
    if (days === undefined) return [];
    const db = this.config.database;
    const cutoff = Number(
      new Date(nowMs - days * 86400_000).toISOString().slice(0, 10).replaceAll("-", ""),
    );
    const listing = await this.#query(
      `SELECT DISTINCT table, partition FROM system.parts WHERE database = '${db}' AND active ` +
        `AND table IN ('${FLOWS_TABLE}', '${ROLLUP_TABLE}') FORMAT TabSeparated`,
    );
    const dropped: string[] = [];
    for (const line of listing.split("\n")) {
      const [table, partition] = line.split("\t");
      if (!table || !/^\d{8}$/.test(partition ?? "") || Number(partition) >= cutoff) continue;
      await this.#query(`ALTER TABLE ${db}.${table} DROP PARTITION ${partition}`);
      dropped.push(`${table}/${partition}`);
    }
    return dropped;
  }

  close(): Promise<void> {
    this.#abort.abort();
    return Promise.resolve();
  }

  /** Runs one statement (with `body` as its data); returns the answer's text or throws. */
  async #query(statement: string, body?: string): Promise<string> {
    const { endpoint, user, password } = this.config;
    const url = new URL(endpoint);
    const headers: Record<string, string> = {};
    if (user !== undefined || password !== undefined) {
      headers.Authorization = "Basic " + btoa(`${user ?? "default"}:${password ?? ""}`);
    }
    let init: RequestInit;
    if (body === undefined) {
      init = { method: "POST", body: statement, headers };
    } else {
      url.searchParams.set("query", statement);
      // Newer agents may send columns an older table lacks: skip them instead of failing.
      url.searchParams.set("input_format_skip_unknown_fields", "1");
      init = { method: "POST", body, headers };
    }
    let response: Response;
    try {
      response = await this.#fetch(url, {
        ...init,
        signal: AbortSignal.any([
          this.#abort.signal,
          AbortSignal.timeout(this.config.timeoutMs ?? 30_000),
        ]),
      });
    } catch (error) {
      throw new ExportError(
        `ClickHouse at ${endpoint} unreachable: ${(error as Error).message}`,
        "transient",
        { cause: error },
      );
    }
    const text = await response.text();
    if (response.ok) return text;
    throw classify(response.status, text, endpoint);
  }
}

/** An ExportError for a ClickHouse error answer: permanent, rejected or transient. */
function classify(status: number, text: string, endpoint: string): ExportError {
  const code = Number(/Code: (\d+)/.exec(text)?.[1] ?? NaN);
  const detail = text.split("\n")[0].replace(/, e\.what\(\) = .*$/, "").slice(0, 300);
  const message = `ClickHouse at ${endpoint} answered ${status}: ${detail}`;
  if (status === 401 || status === 403 || PERMANENT_CODES.has(code)) {
    return new ExportError(message, "permanent");
  }
  if (REJECTED_CODES.has(code)) return new ExportError(message, "rejected");
  return new ExportError(message, "transient");
}
