// Roll-ups: the 5-minute and hourly rows of a bucket, recomputed from its minute rows.
//
// A bucket is recomputed whole each time one of its minutes is written (once per commit), so
// it is always the exact sum of the minutes stored, late or partial ones included. Hosts: the
// top N of the bucket by bytes, summed over its minute rows, are kept exactly; the rest and the
// minutes' own "other" rows are summed into "other". A host that was outside a minute's top N
// counts in "other" for that minute, so its bucket figure is a lower bound; totals stay exact.

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Hosts } from "./interning.ts";
import { TIER_ID } from "./schema.ts";
import { OTHER_HOST } from "./types.ts";

/** Coarser tiers and their bucket lengths. */
const ROLLED = [{ tier: TIER_ID["5m"], seconds: 300 }, { tier: TIER_ID["1h"], seconds: 3600 }];

/** A host's traffic over an interval, by host id. */
export interface HostSum {
  host: number;
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number;
  packets_received: number;
}

/**
 * The `n` rows with the most bytes (sent + received; ties to the lower id), largest first, and
 * one row of host `otherId` summing the others and any `otherId` row given (left out when there
 * is nothing to sum).
 */
export function keepTop(rows: HostSum[], otherId: number, n: number): HostSum[] {
  const other: HostSum = {
    host: otherId,
    bytes_sent: 0,
    bytes_received: 0,
    packets_sent: 0,
    packets_received: 0,
  };
  const named = rows.filter((row) => row.host !== otherId);
  named.sort((a, b) =>
    (b.bytes_sent + b.bytes_received) - (a.bytes_sent + a.bytes_received) || a.host - b.host
  );
  const rest = [...named.slice(n), ...rows.filter((row) => row.host === otherId)];
  for (const row of rest) {
    other.bytes_sent += row.bytes_sent;
    other.bytes_received += row.bytes_received;
    other.packets_sent += row.packets_sent;
    other.packets_received += row.packets_received;
  }
  const kept = named.slice(0, n);
  if (rest.length > 0) kept.push(other);
  return kept;
}

/** Recomputes the coarser rows of the minutes marked since the last run. */
export class Rollup {
  readonly #dirty = new Set<number>();
  readonly #totals: StatementSync;
  readonly #clearBreakdown: StatementSync;
  readonly #breakdown: StatementSync;
  readonly #clearHosts: StatementSync;
  readonly #sumHosts: StatementSync;
  readonly #insertHost: StatementSync;

  constructor(db: DatabaseSync, private readonly hosts: Hosts, private readonly topN: number) {
    const minute = TIER_ID["1m"];
    this.#totals = db.prepare(
      `INSERT OR REPLACE INTO totals (tier, t, packets, bytes, dropped)
       SELECT ?1, ?2, sum(packets), sum(bytes), sum(dropped) FROM totals
       WHERE tier = ${minute} AND t >= ?2 AND t < ?3 HAVING count(*) > 0`,
    );
    this.#clearBreakdown = db.prepare("DELETE FROM breakdown WHERE tier = ? AND t = ?");
    this.#breakdown = db.prepare(
      `INSERT INTO breakdown (tier, t, label, packets, bytes)
       SELECT ?1, ?2, label, sum(packets), sum(bytes) FROM breakdown
       WHERE tier = ${minute} AND t >= ?2 AND t < ?3 GROUP BY label`,
    );
    this.#clearHosts = db.prepare("DELETE FROM host_traffic WHERE tier = ? AND t = ?");
    this.#sumHosts = db.prepare(
      `SELECT host, sum(bytes_sent) AS bytes_sent, sum(bytes_received) AS bytes_received,
         sum(packets_sent) AS packets_sent, sum(packets_received) AS packets_received
       FROM host_traffic WHERE tier = ${minute} AND t >= ? AND t < ? GROUP BY host`,
    );
    this.#insertHost = db.prepare(
      `INSERT INTO host_traffic
         (tier, t, host, bytes_sent, bytes_received, packets_sent, packets_received)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Notes that minute `minute` was written. */
  mark(minute: number): void {
    this.#dirty.add(minute);
  }

  /** Recomputes every bucket holding a marked minute (inside the caller's transaction). */
  run(): void {
    const buckets = new Map<string, { tier: number; start: number; seconds: number }>();
    for (const minute of this.#dirty) {
      for (const { tier, seconds } of ROLLED) {
        const start = Math.floor(minute / seconds) * seconds;
        buckets.set(`${tier}:${start}`, { tier, start, seconds });
      }
    }
    this.#dirty.clear();
    for (const { tier, start, seconds } of buckets.values()) {
      this.#totals.run(tier, start, start + seconds);
      this.#clearBreakdown.run(tier, start);
      this.#breakdown.run(tier, start, start + seconds);
      this.#rollHosts(tier, start, seconds);
    }
  }

  #rollHosts(tier: number, start: number, seconds: number): void {
    this.#clearHosts.run(tier, start);
    const rows = this.#sumHosts.all(start, start + seconds) as unknown as HostSum[];
    if (rows.length === 0) return;
    const otherId = this.hosts.id(OTHER_HOST, null, null, null, start);
    for (const row of keepTop(rows, otherId, this.topN)) this.#insert(tier, start, row);
  }

  #insert(tier: number, start: number, row: HostSum): void {
    this.#insertHost.run(
      tier,
      start,
      row.host,
      row.bytes_sent,
      row.bytes_received,
      row.packets_sent,
      row.packets_received,
    );
  }
}
