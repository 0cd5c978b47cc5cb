// The history store: one SQLite database of minute totals, host traffic, ended flows and names.
//
// Writes go into an open transaction that commit() ends; the caller (history_worker.ts) commits
// every second or so, so a killed process loses at most that much. Methods throw on SQLite
// errors; the worker turns those into a state, never into an exception for the engine.

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { FlowWriter } from "./flow_rows.ts";
import { queryFlows } from "./flows_query.ts";
import { buildHourTops } from "./hour_tops.ts";
import { Hosts, Labels } from "./interning.ts";
import { openDatabase } from "./open_database.ts";
import { queryProtocols, queryTalkers } from "./range_query.ts";
import { fileBytes, Retention, walLimitOf } from "./retention.ts";
import { type HostSum, keepTop, Rollup } from "./rollup.ts";
import { LabelKind, NAME_SOURCES, readMeta, RID_PER_MS, TIER_ID, writeMeta } from "./schema.ts";
import { querySeries } from "./series_query.ts";
import type {
  HistoryQuery,
  HistoryStatus,
  HostMinute,
  LearnedName,
  MinuteTotals,
  NamesResult,
  QueryResults,
  StoredFlow,
  StoreOptions,
} from "./types.ts";
import { OTHER_HOST, TIERS } from "./types.ts";

/** Default hosts kept exactly per interval of every tier. */
export const DEFAULT_HOSTS_PER_INTERVAL = 100;

/** An open history database. Create it with HistoryStore.open(). */
export class HistoryStore {
  readonly db: DatabaseSync;
  readonly path: string;
  readonly labels: Labels;
  readonly hosts: Hosts;
  readonly retention: Retention;
  /** Where a damaged file found at open was moved. */
  readonly movedAside: string | null;
  readonly written = { minutes: 0, host_rows: 0, flows: 0, names: 0 };
  /** Minutes refused because their tier was already trimmed past them. */
  lateMinutes = 0;
  readonly #flows: FlowWriter;
  readonly #rollup: Rollup;
  readonly #insertTotals: StatementSync;
  readonly #insertBreakdown: StatementSync;
  readonly #insertHost: StatementSync;
  readonly #minuteHosts: StatementSync;
  readonly #clearMinuteHosts: StatementSync;
  readonly #topN: number;
  readonly #upsertName: StatementSync;
  readonly #names: StatementSync;
  /** When (nowSec of commit()) hour tops were last built. */
  #hoursBuiltAt = -Infinity;

  private constructor(db: DatabaseSync, options: StoreOptions, movedAside: string | null) {
    this.db = db;
    this.path = options.path;
    this.movedAside = movedAside;
    this.labels = new Labels(db);
    this.hosts = new Hosts(db);
    this.retention = new Retention(db, options, () => {
      this.labels.forget();
      this.hosts.forget();
      this.#flows.forget();
    });
    this.#flows = new FlowWriter(db, this.labels, {
      maxDurationUs: Number(readMeta(db, "max_duration_us") ?? 0),
      maxFlowId: Number(readMeta(db, "max_flow_id") ?? 0),
      maxBumpMs: Number(readMeta(db, "max_bump_ms") ?? 0),
    });
    this.#rollup = new Rollup(
      db,
      this.hosts,
      options.hostsPerInterval ?? DEFAULT_HOSTS_PER_INTERVAL,
    );
    // A minute's parts add up: each shard of the pipeline sends its own.
    this.#insertTotals = db.prepare(
      `INSERT INTO totals (tier, t, packets, bytes, dropped) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tier, t) DO UPDATE SET packets = packets + excluded.packets,
         bytes = bytes + excluded.bytes, dropped = dropped + excluded.dropped`,
    );
    this.#insertBreakdown = db.prepare(
      `INSERT INTO breakdown (tier, t, label, packets, bytes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tier, t, label) DO UPDATE SET packets = packets + excluded.packets,
         bytes = bytes + excluded.bytes`,
    );
    this.#topN = options.hostsPerInterval ?? DEFAULT_HOSTS_PER_INTERVAL;
    const minuteTier = TIER_ID["1m"];
    this.#insertHost = db.prepare(
      `INSERT INTO host_traffic
         (tier, t, host, bytes_sent, bytes_received, packets_sent, packets_received)
       VALUES (${minuteTier}, ?, ?, ?, ?, ?, ?)`,
    );
    this.#minuteHosts = db.prepare(
      `SELECT host, bytes_sent, bytes_received, packets_sent, packets_received FROM host_traffic
       WHERE tier = ${minuteTier} AND t = ?`,
    );
    this.#clearMinuteHosts = db.prepare(
      `DELETE FROM host_traffic WHERE tier = ${minuteTier} AND t = ?`,
    );
    this.#upsertName = db.prepare(
      `INSERT INTO learned_name (address, name, source, first_seen, last_seen)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (address, name, source) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen)`,
    );
    this.#names = db.prepare(
      `SELECT address, name, source, first_seen, last_seen FROM learned_name
       WHERE address = ? ORDER BY last_seen DESC, name LIMIT 100`,
    );
  }

  /**
   * Opens (or creates) the store. Never throws: `{ error }` carries the one line to print, and
   * the caller keeps running without history.
   */
  static open(options: StoreOptions): { store: HistoryStore; error?: undefined } | {
    error: string;
    store?: undefined;
  } {
    const opened = openDatabase(options.path, walLimitOf(options.capBytes));
    if (opened.error !== undefined) return { error: opened.error };
    try {
      return { store: new HistoryStore(opened.db, options, opened.movedAside) };
    } catch (error) {
      opened.db.close();
      return { error: `History off: cannot prepare ${options.path}: ${String(error)}` };
    }
  }

  #begin(): void {
    if (!this.db.isTransaction) this.db.exec("BEGIN");
  }

  /**
   * Adds a finished minute: its totals and its host rows (top N and "other"). Parts of one
   * minute add up, so each pipeline shard sends its own once (a part sent twice counts twice).
   */
  addMinute(totals: MinuteTotals, hosts: HostMinute[]): void {
    const minute = Math.floor(totals.minute / 60) * 60;
    if (minute < this.retention.horizon(TIER_ID["1m"])) {
      // Its tier was trimmed past it: rolling it up now would replace the coarser buckets
      // with this one minute.
      this.lateMinutes++;
      return;
    }
    this.#begin();
    const tier = TIER_ID["1m"];
    this.#insertTotals.run(tier, minute, totals.packets, totals.bytes, totals.dropped);
    const groups: [number, Record<string, { packets: number; bytes: number }>][] = [
      [LabelKind.Protocol, totals.protocols],
      [LabelKind.Service, totals.services],
      [LabelKind.App, totals.apps ?? {}],
    ];
    for (const [kind, shares] of groups) {
      for (const [name, share] of Object.entries(shares)) {
        if (share.packets === 0 && share.bytes === 0) continue;
        const label = this.labels.id(kind, name, minute);
        this.#insertBreakdown.run(tier, minute, label, share.packets, share.bytes);
      }
    }
    this.#addHosts(minute, hosts);
    this.#rollup.mark(minute);
    this.written.minutes++;
    this.written.host_rows += hosts.length;
  }

  /**
   * Adds host rows to a minute: summed with the rows it has (another shard's part), then the
   * top N kept exactly and the rest folded into "other".
   */
  #addHosts(minute: number, hosts: HostMinute[]): void {
    const sums = new Map<number, HostSum>();
    const add = (row: HostSum) => {
      const sum = sums.get(row.host);
      if (!sum) return sums.set(row.host, { ...row });
      sum.bytes_sent += row.bytes_sent;
      sum.bytes_received += row.bytes_received;
      sum.packets_sent += row.packets_sent;
      sum.packets_received += row.packets_received;
    };
    const existing = this.#minuteHosts.all(minute) as unknown as HostSum[];
    for (const row of existing) add(row);
    for (const h of hosts) {
      add({
        host: this.hosts.id(h.address, h.name, h.country, h.asn, minute),
        bytes_sent: h.bytes_sent,
        bytes_received: h.bytes_received,
        packets_sent: h.packets_sent,
        packets_received: h.packets_received,
      });
    }
    if (sums.size === 0) return;
    const otherId = this.hosts.id(OTHER_HOST, null, null, null, minute);
    if (existing.length > 0) this.#clearMinuteHosts.run(minute);
    for (const row of keepTop([...sums.values()], otherId, this.#topN)) {
      this.#insertHost.run(
        minute,
        row.host,
        row.bytes_sent,
        row.bytes_received,
        row.packets_sent,
        row.packets_received,
      );
    }
  }

  /** Adds ended flows. */
  addFlows(flows: readonly StoredFlow[]): void {
    if (flows.length === 0) return;
    this.#begin();
    for (const flow of flows) this.#flows.add(flow);
    this.written.flows += flows.length;
  }

  /** Adds (or widens the first/last seen of) learned names. */
  addNames(names: readonly LearnedName[]): void {
    if (names.length === 0) return;
    this.#begin();
    for (const n of names) {
      const source = (NAME_SOURCES as readonly string[]).indexOf(n.source);
      if (source < 0) continue;
      this.#upsertName.run(n.address, n.name, source, n.first_seen, n.last_seen);
    }
    this.written.names += names.length;
  }

  /**
   * Rolls up, commits, and then enforces the size cap (and the age, at most once a minute of
   * `nowSec`). Throws on SQLite errors, after rolling back.
   */
  commit(nowSec = Date.now() / 1000): void {
    if (this.db.isTransaction) {
      try {
        this.#rollup.run();
        this.labels.touch();
        this.hosts.touch();
        writeMeta(this.db, "max_duration_us", this.#flows.maxDurationUs);
        writeMeta(this.db, "max_flow_id", this.#flows.maxFlowId);
        writeMeta(this.db, "max_bump_ms", this.#flows.maxBumpMs);
        this.db.exec("COMMIT");
        this.#flows.committed();
      } catch (error) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        this.#flows.committed(false);
        throw error;
      }
    }
    this.retention.maybeRun(nowSec);
    // Past hours' tops, once a minute (of nowSec): about 4 ms an hour built, 32 at most.
    if (!(nowSec - this.#hoursBuiltAt < 60)) {
      this.#hoursBuiltAt = nowSec;
      this.buildHourTops();
    }
  }

  /** Builds the tops of past hours that lack a current one (hour_tops.ts); how many it built. */
  buildHourTops(most?: number): number {
    return buildHourTops(this.db, most);
  }

  /** Runs one query. Throws TypeError or RangeError for parameters it cannot accept. */
  query<K extends HistoryQuery["kind"]>(q: Extract<HistoryQuery, { kind: K }>): QueryResults[K] {
    return this.#run(q as HistoryQuery) as QueryResults[K];
  }

  #run(q: HistoryQuery): QueryResults[HistoryQuery["kind"]] {
    const horizons = this.retention.horizons();
    switch (q.kind) {
      case "series":
        return querySeries(this.db, horizons, q);
      case "talkers":
        return queryTalkers(this.db, horizons, q);
      case "protocols":
        return queryProtocols(this.db, horizons, q.from, q.to);
      case "flows":
        return queryFlows(this.db, this.labels, q.query, {
          maxDurationUs: this.#flows.maxDurationUs,
          maxBumpMs: this.#flows.maxBumpMs,
        });
      case "names":
        return this.#queryNames(q.address);
    }
    throw new TypeError(`Unknown query "${(q as { kind: string }).kind}"`);
  }

  #queryNames(address: string): NamesResult {
    const rows = this.#names.all(address);
    return {
      address,
      names: rows.map((row) => ({
        address: row.address as string,
        name: row.name as string,
        source: NAME_SOURCES[row.source as number] ?? "dns",
        first_seen: row.first_seen as number,
        last_seen: row.last_seen as number,
      })),
    };
  }

  /** Largest engine flow id stored: a restarted engine numbers flows after it. */
  get maxFlowId(): number {
    return this.#flows.maxFlowId;
  }

  /** What the store holds, for /stats and the worker's status messages. */
  status(): Omit<HistoryStatus, "state" | "error" | "dropped"> {
    const oldest = { flows: null, "1m": null, "5m": null, "1h": null } as HistoryStatus["oldest"];
    const minRid = this.db.prepare("SELECT min(rid) AS v FROM flow").get()!.v as number | null;
    oldest.flows = minRid === null ? null : Math.floor(minRid / RID_PER_MS) / 1000;
    for (const tier of TIERS) {
      const row = this.db.prepare("SELECT min(t) AS v FROM totals WHERE tier = ?")
        .get(TIER_ID[tier]);
      oldest[tier] = row!.v as number | null;
    }
    return {
      path: this.path,
      moved_aside: this.movedAside,
      file_bytes: fileBytes(this.path),
      cap_bytes: this.retention.capBytes,
      oldest,
      written: { ...this.written },
      retention_runs: this.retention.runs,
      max_flow_id: this.#flows.maxFlowId,
    };
  }

  /** Commits, checkpoints the WAL into the file, marks a clean close, and closes. */
  close(): void {
    try {
      this.commit();
      this.db.exec("BEGIN");
      writeMeta(this.db, "clean_close", 1);
      this.db.exec("COMMIT");
      this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      this.db.close();
    }
  }
}
