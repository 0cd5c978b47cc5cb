// flow_top_hour: each past hour's biggest flows, built from its minutes' flow_top (schema.ts).
//
// An hour is built once it has been over for SETTLE_MINUTES by the newest flow's clock (flows
// are written when they end, some minutes after their last packet), and again whenever its
// minutes' flow counts no longer add up to the count it was built with: a late flow, or
// retention taking its first minutes. Until then queries read that hour by minutes, so a stale
// hour is never used. The hour's top is exact: a flow among an hour's TOP_PER_MINUTE biggest
// has fewer than that many bigger flows in its own minute, so it is in that minute's top.

import type { DatabaseSync } from "node:sqlite";
import { TOP_PER_MINUTE, transaction } from "./schema.ts";

/** Minutes after an hour's end before it is built. */
export const SETTLE_MINUTES = 10;

/**
 * Builds (or rebuilds) at most `most` hours whose flow_top_hour is missing or stale, newest
 * first, each in its own transaction. Returns how many it built.
 */
export function buildHourTops(db: DatabaseSync, most = 32): number {
  const newest = db.prepare("SELECT max(m) AS m FROM flow_minute").get()!.m as number | null;
  if (newest === null) return 0;
  const stale = db.prepare(
    `SELECT c.h AS h, c.n AS n FROM (
       SELECT m / 60 AS h, sum(flows) AS n FROM flow_minute GROUP BY m / 60) AS c
     LEFT JOIN flow_hour AS f ON f.h = c.h
     WHERE (f.flows IS NULL OR f.flows != c.n) AND (c.h + 1) * 60 + ? <= ?
     ORDER BY c.h DESC LIMIT ?`,
  ).all(SETTLE_MINUTES, newest, most) as { h: number; n: number }[];
  const clear = db.prepare("DELETE FROM flow_top_hour WHERE h = ?");
  const fill = db.prepare(
    `INSERT INTO flow_top_hour (h, bytes, rid)
     SELECT ?, bytes, rid FROM flow_top WHERE m >= ? AND m < ?
     ORDER BY bytes DESC, rid DESC LIMIT ${TOP_PER_MINUTE}`,
  );
  const count = db.prepare("INSERT OR REPLACE INTO flow_hour (h, flows) VALUES (?, ?)");
  for (const { h, n } of stale) {
    transaction(db, () => {
      clear.run(h);
      fill.run(h, h * 60, h * 60 + 60);
      count.run(h, n);
    });
  }
  return stale.length;
}

/** Hours in [from, to) whose flow_top_hour is current (see above). */
export function currentHours(db: DatabaseSync, from: number, to: number): number[] {
  if (to <= from) return [];
  return db.prepare(
    `SELECT f.h AS h FROM flow_hour AS f WHERE f.h >= ? AND f.h < ? AND f.flows =
       (SELECT sum(flows) FROM flow_minute WHERE m >= f.h * 60 AND m < f.h * 60 + 60)
     ORDER BY f.h`,
  ).all(from, to).map((row) => row.h as number);
}
