// Retention: the size cap holds through a generated month, finest tier first; the age limit
// drops what is older in every tier and nothing newer.

import assert from "node:assert/strict";
import { generateMonth } from "../bench/history_month.ts";
import { HistoryStore } from "./history_store.ts";
import { fileBytes, FLOW_TABLES } from "./retention.ts";

const START = 1_700_002_800; // an hour boundary

function open(capBytes: number, maxAgeSec?: number) {
  const path = `${Deno.makeTempDirSync()}/netwatch.db`;
  const opened = HistoryStore.open({ path, capBytes, maxAgeSec, hostsPerInterval: 10 });
  if (!opened.store) throw new Error(opened.error);
  return { store: opened.store, path };
}

Deno.test("the size cap holds under a generated month; tiers give way, flows keep a floor", () => {
  const cap = 4 << 20;
  const { store, path } = open(cap);
  let bytes = 0;
  let largest = 0;
  let minute = 0;
  const month = generateMonth({
    start: START,
    minutes: 30 * 1440,
    flowsPerMinute: 4,
    topN: 10,
    remotes: 400,
  });
  for (const m of month) {
    store.addMinute(m.totals, m.hosts);
    store.addFlows(m.flows);
    bytes += m.totals.bytes;
    // A commit per simulated hour; the cap is checked after each, as the worker does.
    if (++minute % 60 === 0) {
      store.commit(m.totals.minute);
      largest = Math.max(largest, fileBytes(path));
    }
  }
  store.commit();
  largest = Math.max(largest, fileBytes(path));
  assert.ok(largest <= cap, `the files reached ${largest} bytes, over the cap of ${cap}`);
  const status = store.status();
  assert.ok(status.retention_runs > 0, "the month should not fit: the test must exercise the cap");
  // The hourly tier kept the whole month; finer tiers kept the most recent part, and flow
  // records their floor (a quarter of the cap) of the newest.
  const { flows, "1m": m1, "5m": m5, "1h": h1 } = status.oldest;
  assert.equal(h1, START);
  assert.ok(m5! > h1! && m1! >= m5!, JSON.stringify(status.oldest));
  const newest = store.query({ kind: "flows", query: { limit: 1 } });
  assert.ok(newest.flows[0].last_ts > START + 30 * 86400 - 60, "the newest flows are kept");
  // Flow records: their table and the per-minute tables that index it.
  const flowBytes = store.db.prepare(
    `SELECT sum(pgsize) AS b FROM dbstat
     WHERE name IN (${FLOW_TABLES.map((t) => `'${t}'`).join(", ")}) AND aggregate = TRUE`,
  ).get()!.b as number;
  assert.ok(flows! < m1! && flowBytes >= 0.2 * cap, `${flows} ${flowBytes}`);
  // The month's totals are still exact from the hourly tier.
  const end = START + 30 * 86400 - 1;
  const series = store.query({ kind: "series", from: START, to: end, step: 86400 });
  assert.equal(series.tier, "1h");
  const stored = series.series[0].values.reduce((a, v) => a + v, 0) * 86400 / 8;
  assert.equal(Math.round(stored), bytes);
  // A 24-hour view at minute steps falls back to a coarser tier where minutes were dropped.
  const old = store.query({ kind: "series", from: START, to: START + 86400, step: 60 });
  assert.notEqual(old.tier, "1m");
  assert.ok(old.covered_from === null || old.covered_from <= START);
  store.close();
  assert.ok(fileBytes(path) <= cap);
});

Deno.test("flow records go first when they are what fills the cap", () => {
  const cap = 4 << 20;
  const { store, path } = open(cap);
  let minute = 0;
  for (const m of generateMonth({ start: START, minutes: 1440, flowsPerMinute: 100, topN: 10 })) {
    store.addMinute(m.totals, m.hosts);
    store.addFlows(m.flows);
    if (++minute % 30 === 0) {
      store.commit(m.totals.minute);
      assert.ok(fileBytes(path) <= cap, `${fileBytes(path)} bytes after minute ${minute}`);
    }
  }
  const { oldest, retention_runs } = store.status();
  assert.ok(retention_runs > 0);
  // Every tier still holds the whole day; only the oldest flow records went.
  assert.deepEqual([oldest["1m"], oldest["5m"], oldest["1h"]], [START, START, START]);
  assert.ok(oldest.flows! > START + 3600, `flows from ${oldest.flows}`);
  store.close();
});

Deno.test("retention by age drops older data in every tier and keeps newer data exactly", () => {
  const { store } = open(1e9, 86400);
  const names = [];
  for (const m of generateMonth({ start: START, minutes: 3 * 1440, flowsPerMinute: 2, topN: 5 })) {
    store.addMinute(m.totals, m.hosts);
    store.addFlows(m.flows);
    names.push({
      address: m.flows[0].dst_ip,
      name: `n${m.totals.minute}.example`,
      source: "dns" as const,
      first_seen: m.totals.minute,
      last_seen: m.totals.minute,
    });
  }
  store.addNames(names);
  const now = START + 3 * 86400;
  // Before the age applies (now = START), the last day's totals:
  store.commit(START);
  const lastDay = { kind: "protocols", from: now - 86400, to: now - 1 } as const;
  const before = store.query(lastDay);
  store.commit(now);
  const cutoff = now - 86400;
  const { oldest } = store.status();
  for (const tier of ["1m", "5m", "1h"] as const) {
    assert.ok(
      oldest[tier]! >= cutoff - 3600 && oldest[tier]! <= cutoff,
      `${tier}: ${oldest[tier]}`,
    );
  }
  assert.ok(oldest.flows! >= cutoff, `flows: ${oldest.flows}`);
  const minName = store.db.prepare("SELECT min(last_seen) AS v FROM learned_name").get()!.v;
  assert.ok((minName as number) >= cutoff);
  assert.deepEqual(store.query(lastDay), before);
  // A minute from before the cut is refused, not rolled up over what was kept.
  const late = generateMonth({ start: START, minutes: 1, flowsPerMinute: 1, topN: 5 }).next()
    .value!;
  store.addMinute(late.totals, late.hosts);
  assert.equal(store.lateMinutes, 1);
  store.close();
});
