// Retention: the size cap and the age limit, dropping the oldest data first, finest tier first.
//
// The cap is on the real files (database + WAL), read with stat. Past `cap - walLimit` the
// oldest data goes until the file is under `0.9 * cap - walLimit`: flows first, then minute
// rows, then 5-minute rows, then learned names, and hourly rows last. Freed pages go back to the
// file system (auto_vacuum = INCREMENTAL) in steps, with a WAL checkpoint after each, so the WAL
// never grows past its limit while space is reclaimed. Minute and 5-minute rows are cut at hour
// boundaries, so an hour's roll-up never loses some of its minutes while others remain.

import type { DatabaseSync } from "node:sqlite";
import { RID_PER_MS } from "./flow_rows.ts";
import { readMeta, TIER_ID, writeMeta } from "./schema.ts";
import type { StoreOptions, Tier } from "./types.ts";
import { TIERS } from "./types.ts";

/** WAL bytes allowed: a sixteenth of the cap, between 256 KiB and 16 MiB. */
export function walLimitOf(capBytes: number): number {
  return Math.min(16 << 20, Math.max(256 << 10, Math.floor(capBytes / 16)));
}

/** Bytes of the database file and its WAL (0 for a missing file). */
export function fileBytes(path: string): number {
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += Deno.statSync(file).size;
    } catch {
      // not there
    }
  }
  return total;
}

/** Rows deleted per transaction, so no delete holds the database (and queries) for long. */
const DELETE_CHUNK = 20_000;
/** Size passes at most, per run: each removes at least 2% of a stage's span. */
const MAX_PASSES = 400;

/** What one stage of the size cap removes, oldest first. */
interface Stage {
  /** Oldest and newest time (seconds) the stage holds, or null when empty. */
  span(): [number, number] | null;
  /**
   * Deletes what is older than `cut` (seconds). With `force`, at least the oldest hour goes
   * even when `cut` falls inside it (the size cap must make progress; the age must not cut
   * early).
   */
  cut(cut: number, force: boolean): void;
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
    const value = readMeta(this.#db, `horizon_${tierId}`);
    return value === undefined ? -Infinity : Number(value);
  }

  horizons(): Record<Tier, number> {
    const out = {} as Record<Tier, number>;
    for (const tier of TIERS) out[tier] = this.horizon(TIER_ID[tier]);
    return out;
  }

  /** Runs when the files are past the trigger, or once a minute (of `nowSec`) with an age. */
  maybeRun(nowSec: number): void {
    const ageDue = this.maxAgeSec !== undefined && nowSec - this.#lastAgeRun >= 60;
    if (ageDue || fileBytes(this.#path) > this.capBytes - this.#walLimit) this.run(nowSec);
  }

  /** Drops what is older than the age, then the oldest data until the cap holds. */
  run(nowSec: number): void {
    let removed = false;
    if (this.maxAgeSec !== undefined) {
      this.#lastAgeRun = nowSec;
      const cutoff = nowSec - this.maxAgeSec;
      for (const stage of this.#stages()) {
        const span = stage.span();
        if (span && span[0] < cutoff) {
          stage.cut(cutoff, false);
          removed = true;
        }
      }
    }
    const target = 0.9 * this.capBytes - this.#walLimit;
    let size = fileBytes(this.#path);
    if (size > this.capBytes - this.#walLimit) {
      for (const stage of this.#stages()) {
        for (let pass = 0; pass < MAX_PASSES && size > target; pass++) {
          const span = stage.span();
          if (!span) break;
          // Cut a share of the stage's span a little above the share of the file over target.
          const share = Math.min(1, Math.max(0.02, 1.25 * (size - target) / size));
          stage.cut(span[0] + Math.max(1, (span[1] - span[0]) * share), true);
          removed = true;
          this.#reclaim();
          size = fileBytes(this.#path);
        }
        if (size <= target) break;
      }
    }
    if (removed) {
      this.runs++;
      this.#prune();
      this.#reclaim();
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
        const end = Math.floor(cut * 1000) * RID_PER_MS;
        this.#chunked("flow", "rid", end, "horizon_flows", Math.floor(cut * 1000) / 1000);
      },
    };
    const tierStage = (tier: Tier): Stage => ({
      span: () => {
        const row = db.prepare("SELECT min(t) AS lo, max(t) AS hi FROM totals WHERE tier = ?")
          .get(TIER_ID[tier])!;
        return row.lo === null ? null : [row.lo as number, row.hi as number];
      },
      cut: (cut, force) => {
        // Whole hours only.
        let at = Math.floor(cut / 3600) * 3600;
        const span = force ? tierStage(tier).span() : null;
        if (span) at = Math.max(at, Math.floor(span[0] / 3600) * 3600 + 3600);
        this.#deleteTier(TIER_ID[tier], at);
      },
    });
    const names: Stage = {
      span: () => {
        const row = db.prepare(
          "SELECT min(last_seen) AS lo, max(last_seen) AS hi FROM learned_name",
        ).get()!;
        return row.lo === null ? null : [row.lo as number, row.hi as number];
      },
      cut: (cut) => {
        db.prepare("DELETE FROM learned_name WHERE last_seen < ?").run(cut);
      },
    };
    return [flows, tierStage("1m"), tierStage("5m"), names, tierStage("1h")];
  }

  /** Deletes rows of `table` with `column` < `end` in chunks, then records the horizon. */
  #chunked(table: string, column: string, end: number, horizonKey: string, horizon: number) {
    const db = this.#db;
    const nth = db.prepare(
      `SELECT ${column} AS v FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT 1 OFFSET ?`,
    );
    const remove = db.prepare(`DELETE FROM ${table} WHERE ${column} < ?`);
    for (;;) {
      const next = nth.get(end, DELETE_CHUNK)?.v as number | undefined;
      this.#transaction(() => {
        remove.run(next ?? end);
        if (next === undefined) this.#raiseHorizon(horizonKey, horizon);
      });
      if (next === undefined) break;
      this.#reclaim();
    }
  }

  #deleteTier(tierId: number, before: number): void {
    this.#transaction(() => {
      for (const table of ["totals", "breakdown", "host_traffic"]) {
        this.#db.prepare(`DELETE FROM ${table} WHERE tier = ? AND t < ?`).run(tierId, before);
      }
      this.#raiseHorizon(`horizon_${tierId}`, before);
    });
  }

  #raiseHorizon(key: string, value: number): void {
    const old = readMeta(this.#db, key);
    if (old === undefined || Number(old) < value) writeMeta(this.#db, key, value);
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
    this.#transaction(() => {
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

  /** Gives free pages back to the file system in steps, checkpointing the WAL after each. */
  #reclaim(): void {
    const db = this.#db;
    const step = Math.max(16, Math.floor(this.#walLimit / 4096 / 2));
    for (let i = 0; i < 100_000; i++) {
      const free = db.prepare("PRAGMA freelist_count").get()!.freelist_count as number;
      if (free === 0) break;
      db.exec(`PRAGMA incremental_vacuum(${Math.min(free, step)})`);
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  #transaction(body: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      body();
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
