// Retention: the size cap and the age limit, dropping the oldest data first, finest tier first.
//
// The cap is on the real files: database + WAL. When the pages in use (plus the WAL) pass
// `cap - walLimit`, the oldest data goes until they are under `0.9 * cap - walLimit`: flow
// records first, down to a floor of a quarter of the cap; then minute rows, then 5-minute rows,
// then learned names; then flow records below their floor; hourly rows last. (Without the
// floor, months of minute rows would, once they fill the cap, push out every new flow record.)
// Minute and 5-minute rows are cut at whole hours and never in the newest hour, so an hour's
// roll-up never loses some of its minutes while others remain.
//
// Freed pages stay in the file, up to a tenth of the cap, for the next minutes' rows to reuse:
// giving them back only to grow the file again would move pages for nothing. Beyond that (after
// a large age cut, or a lowered cap) they go back to the file system (auto_vacuum =
// INCREMENTAL), in steps with a WAL checkpoint when the WAL fills, so the WAL stays bounded. The
// file therefore stays under `cap - walLimit` and the WAL under `walLimit`.

import type { DatabaseSync } from "node:sqlite";
import { readMeta, RID_PER_MINUTE, RID_PER_MS, TIER_ID, transaction, writeMeta } from "./schema.ts";
import type { StoreOptions, Tier } from "./types.ts";
import { TIERS } from "./types.ts";

/**
 * Default --retention-size: 512 MiB. A month of the minute, 5-minute and hourly tiers with 100
 * hosts a minute takes about a quarter of it (see README), leaving the rest for flow records:
 * days of them on a small server, an hour or two at 2,000 new flows per second.
 */
export const DEFAULT_CAP_BYTES = 512 * 2 ** 20;
/** The smallest cap accepted: the schema, the WAL and the newest hour need a few MB. */
export const MIN_CAP_BYTES = 10e6;

/** WAL bytes allowed: a sixteenth of the cap, between 256 KiB and 16 MiB. */
export function walLimitOf(capBytes: number): number {
  return Math.min(16 << 20, Math.max(256 << 10, Math.floor(capBytes / 16)));
}

function sizeOf(file: string): number {
  try {
    return Deno.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Bytes of the database file and its WAL (0 for a missing file). */
export function fileBytes(path: string): number {
  return sizeOf(path) + sizeOf(`${path}-wal`);
}

function walBytes(path: string): number {
  return sizeOf(`${path}-wal`);
}

/** Rows deleted per transaction, so no delete holds the database (and queries) for long. */
const DELETE_CHUNK = 20_000;

/** The flow records' table and the tables and index kept beside it (schema.ts). */
export const FLOW_TABLES = [
  "flow",
  "flow_minute",
  "flow_top",
  "flow_top_hour",
  "flow_hour",
  "flow_long",
] as const;
/** Size passes at most, per stage and run: each removes at least 2% of a stage's span. */
const MAX_PASSES = 400;
/**
 * Flow records keep at least this share of the cap before finer tiers give way to them: a
 * month or more of minute rows must not push out the newest flows.
 */
const FLOW_FLOOR_SHARE = 0.25;

/** What one stage of the size cap removes, oldest first. */
interface Stage {
  /** Oldest and newest time (seconds) the stage holds, or null when empty. */
  span(): [number, number] | null;
  /**
   * Deletes what is older than `cut` (seconds). With `force`, at least the oldest hour goes
   * even when `cut` falls inside it (the size cap must make progress; the age must not cut
   * early).
   */
  cut(cut: number, force: boolean): boolean;
}

/** Enforces the cap and the age on one database. */
export class Retention {
  readonly capBytes: number;
  readonly maxAgeSec: number | undefined;
  /** Runs that removed something. */
  runs = 0;
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #walLimit: number;
  readonly #forget: () => void;
  #lastAgeRun = -Infinity;
  /** Horizons by meta key, read once and kept in step with the table. */
  readonly #horizons = new Map<string, number>();

  constructor(db: DatabaseSync, options: StoreOptions, forget: () => void) {
    this.#db = db;
    this.#path = options.path;
    this.capBytes = options.capBytes;
    this.maxAgeSec = options.maxAgeSec;
    this.#walLimit = walLimitOf(options.capBytes);
    this.#forget = forget;
  }

  /** Time before which tier `tierId` was trimmed, or -Infinity. */
  horizon(tierId: number): number {
    const key = `horizon_${tierId}`;
    let value = this.#horizons.get(key);
    if (value === undefined) {
      const stored = readMeta(this.#db, key);
      value = stored === undefined ? -Infinity : Number(stored);
      this.#horizons.set(key, value);
    }
    return value;
  }

  horizons(): Record<Tier, number> {
    const out = {} as Record<Tier, number>;
    for (const tier of TIERS) out[tier] = this.horizon(TIER_ID[tier]);
    return out;
  }

  /**
   * Runs when the pages in use pass the trigger, when the file is over the cap (a lowered
   * cap), or once a minute (of `nowSec`) with an age.
   */
  maybeRun(nowSec: number): void {
    const ageDue = this.maxAgeSec !== undefined && nowSec - this.#lastAgeRun >= 60;
    const full = this.#usedBytes() > this.capBytes - this.#walLimit;
    if (ageDue || full || fileBytes(this.#path) > this.capBytes) this.run(nowSec);
  }

  /** Drops what is older than the age, then the oldest data until the cap holds. */
  run(nowSec: number): void {
    let removed = false;
    if (this.maxAgeSec !== undefined) {
      this.#lastAgeRun = nowSec;
      const cutoff = nowSec - this.maxAgeSec;
      for (const stage of this.#stages()) {
        const span = stage.span();
        if (span && span[0] < cutoff) removed = stage.cut(cutoff, false) || removed;
      }
    }
    const target = 0.9 * this.capBytes - this.#walLimit;
    let size = this.#usedBytes();
    if (size > this.capBytes - this.#walLimit) {
      const [flows, m1, m5, names, h1] = this.#stages();
      // Flow records above their floor go first; then minute, 5-minute rows and names; then
      // flow records below the floor; hourly rows last.
      const flowBytes = this.#tableBytes(...FLOW_TABLES);
      const aboveFloor = flowBytes - FLOW_FLOOR_SHARE * this.capBytes;
      const order: [Stage, number, number][] = [
        [flows, aboveFloor, flowBytes],
        [m1, Infinity, Infinity],
        [m5, Infinity, Infinity],
        [names, Infinity, Infinity],
        [flows, Infinity, Infinity],
        [h1, Infinity, Infinity],
      ];
      for (const [stage, most, bytes] of order) {
        if (size <= target) break;
        if (most <= 0) continue;
        const trimmed = this.#trim(stage, size, target, most, bytes);
        removed ||= trimmed.cut;
        size = trimmed.size;
      }
    }
    if (removed) {
      this.runs++;
      this.#prune();
    }
    this.#reclaim();
  }

  /** Pages in the file, free pages, and the page size. */
  #pages(): { pages: number; free: number; pageSize: number } {
    const db = this.#db;
    return {
      pages: db.prepare("PRAGMA page_count").get()!.page_count as number,
      free: db.prepare("PRAGMA freelist_count").get()!.freelist_count as number,
      pageSize: db.prepare("PRAGMA page_size").get()!.page_size as number,
    };
  }

  /** Bytes of the pages in use, plus the WAL: what the files take without free pages. */
  #usedBytes(): number {
    const { pages, free, pageSize } = this.#pages();
    return (pages - free) * pageSize + walBytes(this.#path);
  }

  /**
   * Cuts the oldest of `stage` (which holds `bytes`, if known) until the used bytes are down to
   * `target` or `most` bytes were freed; returns the used bytes after, and whether it cut.
   */
  #trim(
    stage: Stage,
    size: number,
    target: number,
    most: number,
    bytes: number,
  ): { size: number; cut: boolean } {
    const start = size;
    let cutAny = false;
    /** Bytes freed per second of the stage's span, learnt from the last pass. */
    let rate = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const need = Math.min(size - target, most - (start - size));
      const span = stage.span();
      if (need <= 0 || !span) break;
      // First a share of the span a little above the share of the file to free (or of the
      // stage, when its size is known); then as much span as the last pass's yield says.
      const width = span[1] - span[0];
      const share = need / (bytes < Infinity ? bytes : size);
      const guess = rate > 0 ? 1.1 * need / rate : 1.25 * width * share;
      const cut = Math.max(1, 0.02 * width, guess);
      if (!stage.cut(span[0] + cut, true)) break;
      cutAny = true;
      const before = size;
      size = this.#usedBytes();
      rate = Math.max(0, before - size) / cut;
    }
    return { size, cut: cutAny };
  }

  /** Bytes of the pages of some tables (dbstat); Infinity where SQLite was built without it. */
  #tableBytes(...tables: string[]): number {
    try {
      const row = this.#db.prepare(
        `SELECT sum(pgsize) AS bytes FROM dbstat
         WHERE name IN (${tables.map(() => "?").join(", ")}) AND aggregate = TRUE`,
      ).get(...tables);
      return (row?.bytes as number | null) ?? 0;
    } catch {
      return Infinity;
    }
  }

  #stages(): Stage[] {
    const db = this.#db;
    const flows: Stage = {
      span: () => {
        const row = db.prepare("SELECT min(rid) AS lo, max(rid) AS hi FROM flow").get()!;
        if (row.lo === null) return null;
        const sec = (rid: unknown) => Math.floor(Number(rid) / RID_PER_MS) / 1000;
        return [sec(row.lo), sec(row.hi)];
      },
      cut: (cut) => {
        // Whole minutes (rounded up), with their flow_minute and flow_top rows, so every
        // minute left in those is complete (see schema.ts).
        const end = Math.ceil(cut / 60) * 60 * 1000 * RID_PER_MS;
        const beside = [
          "DELETE FROM flow_minute WHERE m < ?",
          "DELETE FROM flow_top WHERE m < ?",
          // An hour cut in part is no longer current (see hour_tops.ts) until built again.
          "DELETE FROM flow_top_hour WHERE h * 60 + 60 <= ?",
          "DELETE FROM flow_hour WHERE h * 60 < ?",
        ].map((sql) => db.prepare(sql));
        return this.#chunked("flow", "rid", end, "horizon_flows", end / RID_PER_MS / 1000, {
          round: (rid) => Math.ceil(rid / RID_PER_MINUTE) * RID_PER_MINUTE,
          also: (rid) => {
            for (const statement of beside) statement.run(rid / RID_PER_MINUTE);
          },
        });
      },
    };
    const tierStage = (tier: Tier): Stage => ({
      span: () => {
        const row = db.prepare("SELECT min(t) AS lo, max(t) AS hi FROM totals WHERE tier = ?")
          .get(TIER_ID[tier])!;
        return row.lo === null ? null : [row.lo as number, row.hi as number];
      },
      cut: (cut, force) => {
        const span = tierStage(tier).span();
        if (!span) return false;
        // Whole hours only, and never the newest hour: minutes still arrive for it, and its
        // roll-ups are recomputed from its minute rows.
        let at = Math.floor(cut / 3600) * 3600;
        if (force) at = Math.max(at, Math.floor(span[0] / 3600) * 3600 + 3600);
        at = Math.min(at, Math.floor(span[1] / 3600) * 3600);
        if (at <= span[0]) return false;
        this.#deleteTier(TIER_ID[tier], at);
        return true;
      },
    });
    const names: Stage = {
      span: () => {
        const row = db.prepare(
          "SELECT min(last_seen) AS lo, max(last_seen) AS hi FROM learned_name",
        ).get()!;
        return row.lo === null ? null : [row.lo as number, row.hi as number];
      },
      cut: (cut) =>
        Number(db.prepare("DELETE FROM learned_name WHERE last_seen < ?").run(cut).changes) > 0,
    };
    return [flows, tierStage("1m"), tierStage("5m"), names, tierStage("1h")];
  }

  /**
   * Deletes rows of `table` with `column` < `end` in chunks, then records the horizon. With
   * `minutes` (flows), each chunk ends on a whole minute and takes that minute's rows in the
   * per-minute tables with it, in the same transaction.
   */
  #chunked(
    table: string,
    column: string,
    end: number,
    horizonKey: string,
    horizon: number,
    minutes?: { round: (value: number) => number; also: (value: number) => void },
  ): boolean {
    let deleted = 0;
    const db = this.#db;
    const nth = db.prepare(
      `SELECT ${column} AS v FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT 1 OFFSET ?`,
    );
    const remove = db.prepare(`DELETE FROM ${table} WHERE ${column} < ?`);
    for (;;) {
      let next = nth.get(end, DELETE_CHUNK)?.v as number | undefined;
      if (next !== undefined && minutes) next = minutes.round(next);
      if (next !== undefined && next >= end) next = undefined;
      transaction(this.#db, () => {
        deleted += Number(remove.run(next ?? end).changes);
        minutes?.also(next ?? end);
        if (next === undefined) this.#raiseHorizon(horizonKey, horizon);
      });
      if (next === undefined) return deleted > 0;
    }
  }

  #deleteTier(tierId: number, before: number): void {
    transaction(this.#db, () => {
      for (const table of ["totals", "breakdown", "host_traffic"]) {
        this.#db.prepare(`DELETE FROM ${table} WHERE tier = ? AND t < ?`).run(tierId, before);
      }
      this.#raiseHorizon(`horizon_${tierId}`, before);
    });
  }

  /** Raises a horizon (inside the transaction that deletes up to it). */
  #raiseHorizon(key: string, value: number): void {
    const old = readMeta(this.#db, key);
    if (old === undefined || Number(old) < value) writeMeta(this.#db, key, value);
    // Read again from the table once the transaction is over.
    this.#horizons.delete(key);
  }

  /** Drops hosts and labels no row refers to any more. */
  #prune(): void {
    const db = this.#db;
    const min = (sql: string, ...args: number[]) =>
      (db.prepare(sql).get(...args)!.v as number | null) ?? Infinity;
    let hostFloor = Infinity;
    let breakdownFloor = Infinity;
    for (const tier of TIERS) {
      const id = TIER_ID[tier];
      hostFloor = Math.min(hostFloor, min("SELECT min(t) AS v FROM host_traffic WHERE tier=?", id));
      breakdownFloor = Math.min(
        breakdownFloor,
        min("SELECT min(t) AS v FROM breakdown WHERE tier = ?", id),
      );
    }
    const flowFloor = min("SELECT min(rid) AS v FROM flow") / RID_PER_MS / 1000;
    // A minute of margin: a label's last use and its flow's row time may differ slightly.
    const labelFloor = Math.min(flowFloor, breakdownFloor) - 60;
    transaction(this.#db, () => {
      if (hostFloor !== Infinity) db.prepare("DELETE FROM host WHERE last_used < ?").run(hostFloor);
      else db.exec("DELETE FROM host");
      if (labelFloor !== Infinity) {
        db.prepare("DELETE FROM label WHERE kind <= 2 AND last_used < ?").run(labelFloor);
      }
      if (flowFloor !== Infinity) {
        db.prepare("DELETE FROM label WHERE kind > 2 AND last_used < ?").run(flowFloor - 60);
      }
    });
    this.#forget();
  }

  /**
   * Gives back the free pages beyond the reserve kept for reuse (see the file comment), in
   * steps of half the WAL limit, checkpointing when a step has filled the WAL that far.
   */
  #reclaim(): void {
    const db = this.#db;
    const { pages, free, pageSize } = this.#pages();
    const room = Math.floor((this.capBytes - this.#walLimit) / pageSize) - (pages - free);
    const keep = Math.max(0, Math.min(free, room, Math.floor(0.1 * this.capBytes / pageSize)));
    let excess = free - keep;
    if (excess <= 0) return;
    const step = Math.max(16, Math.floor(this.#walLimit / pageSize / 2));
    while (excess > 0) {
      const n = Math.min(excess, step);
      db.exec(`PRAGMA incremental_vacuum(${n})`);
      excess -= n;
      if (walBytes(this.#path) > this.#walLimit / 2) db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}
