// History bench: insert cost, disk bytes per day at a flow rate, and query p99 over a month.
//
//   deno run -A bench/history_bench.ts            # a month of tiers, flows at 2,000/s to the cap
//   deno run -A bench/history_bench.ts --quick    # 3 days, 20 minutes of flows: checks it works
//
// Phases: (1) a generated month of minute totals and host rows (time-compressed: no flow
// records), giving the tiers' bytes per day; (2) flow records at --rate for the month's last
// two hours, well past where the size cap starts dropping them: insert cost, bytes per flow;
// (3) the cost the engine's thread pays to hand a flow to the history worker; (4) p50/p99 of
// the queries the dashboard makes, over the full database; (5) the dashboard's flow pages over
// four days of a quiet link (10 new flows a second). Results go to bench/out/history.json.

import { parseArgs } from "node:util";
import { HistoryClient } from "../history/history_client.ts";
import { HistoryStore } from "../history/history_store.ts";
import { fileBytes } from "../history/retention.ts";
import { formatBytes, parseSize } from "../history/size_units.ts";
import type { HistoryQuery } from "../history/types.ts";
import { generateMonth } from "./history_month.ts";
import { percentile } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    days: { type: "string" },
    rate: { type: "string", default: "2000" },
    cap: { type: "string", default: "512MiB" },
    top: { type: "string", default: "100" },
    "flow-minutes": { type: "string" },
    runs: { type: "string", default: "100" },
  },
});
const quick = values.quick === true;
const days = Number(values.days ?? (quick ? 3 : 30));
const rate = Number(values.rate);
const cap = parseSize(values.cap!);
const top = Number(values.top);
// Two hours at 2,000/s write twice the default cap: enough for the cap to drop the oldest
// flows many times over (a day of them took 45 minutes and showed nothing more).
const flowMinutes = Number(values["flow-minutes"] ?? (quick ? 20 : 120));
const runs = Number(values.runs);
const END = 1_700_002_800 + days * 86400;
const START = END - days * 86400;

const dir = await Deno.makeTempDir({ prefix: "netwatch-history-bench-" });
const path = `${dir}/netwatch.db`;
const opened = HistoryStore.open({ path, capBytes: cap, hostsPerInterval: top });
if (!opened.store) throw new Error(opened.error);
const store = opened.store;
const results: Record<string, unknown> = {
  days,
  rate,
  cap,
  top,
  flow_minutes: flowMinutes,
  sqlite: sqliteVersion(),
};

function sqliteVersion(): string {
  return store.db.prepare("SELECT sqlite_version() AS v").get()!.v as string;
}

// (1) The tiers: a month of minutes with enough traffic for `top` hosts a minute.
{
  const t0 = performance.now();
  let minutes = 0;
  let hostRows = 0;
  const month = generateMonth({
    start: START,
    minutes: days * 1440,
    flowsPerMinute: Math.max(60, top * 2),
    keepFlowsPerMinute: 0,
    topN: top,
    remotes: 20_000,
  });
  for (const m of month) {
    store.addMinute(m.totals, m.hosts);
    hostRows += m.hosts.length;
    if (++minutes % 60 === 0) store.commit(m.totals.minute);
  }
  store.commit(END);
  const bytes = fileBytes(path);
  results.tiers = {
    minutes,
    host_rows_per_minute: hostRows / minutes,
    seconds_with_generation: (performance.now() - t0) / 1000,
    bytes_per_day: bytes / days,
  };
  console.log(
    `tiers: ${days} days, ${(hostRows / minutes).toFixed(0)} host rows a minute: ` +
      `${formatBytes(bytes / days)} a day`,
  );
}

// (2) Flow records at the full rate, over the month's last minutes, one commit a second.
{
  const before = fileBytes(path);
  const perSecond = rate;
  let flows = 0;
  let insertMs = 0;
  let linear: { flows: number; bytes: number } | undefined;
  const gen = generateMonth({
    start: END - flowMinutes * 60,
    minutes: flowMinutes,
    flowsPerMinute: rate * 60,
    topN: 0,
    remotes: 50_000,
    seed: 2,
  });
  for (const m of gen) {
    for (let i = 0; i < m.flows.length; i += perSecond) {
      const batch = m.flows.slice(i, i + perSecond);
      const t = performance.now();
      store.addFlows(batch);
      store.commit(m.totals.minute + i / perSecond);
      insertMs += performance.now() - t;
      flows += batch.length;
      // Bytes per flow from the growth before the cap first dropped anything.
      if (store.retention.runs === 0) linear = { flows, bytes: fileBytes(path) - before };
    }
    if (quick && store.retention.runs > 0) break;
  }
  const perFlow = linear ? linear.bytes / linear.flows : NaN;
  results.flows = {
    inserted: flows,
    insert_us_per_flow: insertMs * 1000 / flows,
    flows_per_second: flows / (insertMs / 1000),
    bytes_per_flow: perFlow,
    kept_at_cap: store.query({ kind: "flows", query: { limit: 1 } }).total,
    retention_runs: store.retention.runs,
  };
  console.log(
    `flows: ${flows} inserted, ${(insertMs * 1000 / flows).toFixed(1)} µs each in the worker ` +
      `(${Math.round(flows / (insertMs / 1000))}/s), ${perFlow.toFixed(1)} bytes each`,
  );
  const tiers = (results.tiers as { bytes_per_day: number }).bytes_per_day;
  const perDay: Record<string, number> = {};
  for (const r of [10, 100, 1000, 2000]) perDay[r] = r * 86400 * perFlow + tiers;
  results.bytes_per_day_at_rate = perDay;
  for (const [r, bytes] of Object.entries(perDay)) {
    console.log(
      `  ${r} flows/s: ${formatBytes(bytes)} a day; ${formatBytes(cap)} holds ` +
        `${(cap / bytes).toFixed(1)} days of flows and tiers`,
    );
  }
}

// (3) What the engine's thread pays per flow handed to the worker.
{
  const client = await HistoryClient.open({ path: `${dir}/handoff.db`, capBytes: 64 << 20 });
  const flows = generateMonth({ start: END, minutes: 1, flowsPerMinute: 50_000, topN: 0 })
    .next().value!.flows;
  const t = performance.now();
  for (const flow of flows) client.writer.flow(flow);
  client.writer.flushFlows();
  const us = (performance.now() - t) * 1000 / flows.length;
  await client.close();
  results.handoff_us_per_flow = us;
  console.log(`hand-off: ${us.toFixed(2)} µs per flow on the calling thread`);
}

/** p50 and p99 of `count` runs of `run` (ms), and what the last run returned. */
function timed<T>(count: number, run: () => T): { p50_ms: number; p99_ms: number; last: T } {
  const ms: number[] = [];
  let last!: T;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    last = run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50_ms: percentile(ms, 0.5), p99_ms: percentile(ms, 0.99), last };
}

// (4) Queries over the whole database, `runs` times each with a moving end.
{
  // A span of `seconds` at random within the flow records kept, ending at least a minute
  // before the newest.
  const oldestFlow = store.status().oldest.flows ?? END - 3600;
  const pastSpan = (seconds: number) => {
    const to = oldestFlow + seconds + Math.random() * Math.max(0, END - 60 - oldestFlow - seconds);
    return { from: to - seconds, to };
  };
  const queries: Record<string, (to: number) => HistoryQuery> = {
    "talkers 24 h, top 10": (to) => ({ kind: "talkers", from: to - 86400, to, limit: 10 }),
    [`series ${days} d`]: (to) => ({ kind: "series", from: to - days * 86400, to }),
    "series 24 h by service": (to) => ({
      kind: "series",
      from: to - 86400,
      to,
      breakdown: "service",
    }),
    "protocols 24 h": (to) => ({ kind: "protocols", from: to - 86400, to }),
    "flows, newest 100": () => ({ kind: "flows", query: { limit: 100 } }),
    // The dashboard's flow table over its 24-hour range: the biggest flows, 50 to a page.
    "flows 24 h by bytes, first page": () => ({
      kind: "flows",
      query: { from: END - 86400, to: END, sort: "bytes", limit: 50 },
    }),
    "flows 24 h by bytes, page 5": () => ({
      kind: "flows",
      query: { from: END - 86400, to: END, sort: "bytes", limit: 50, offset: 200 },
    }),
    // A past span of the stored flows (a zoom on a spike): its edges and the long flows that
    // started in it and ended after are read row by row.
    "flows 10 min in the past by bytes": () => ({
      kind: "flows",
      query: { ...pastSpan(600), sort: "bytes", limit: 50 },
    }),
    "flows 10 min in the past by packets": () => ({
      kind: "flows",
      query: { ...pastSpan(600), sort: "packets", limit: 50 },
    }),
    "flows of one /24": () => ({ kind: "flows", query: { address: "10.0.3.0/24", limit: 100 } }),
  };
  const timing: Record<string, { p50_ms: number; p99_ms: number; tier?: string }> = {};
  for (const [name, make] of Object.entries(queries)) {
    const count = name.startsWith("flows") ? Math.min(runs, 20) : runs;
    const { p50_ms, p99_ms, last } = timed(count, () => {
      const to = END - Math.floor(Math.random() * 120) * 60;
      return store.query(make(to) as never) as { tier?: string };
    });
    const tier = last.tier;
    timing[name] = { p50_ms, p99_ms, tier };
    console.log(
      `${name}: p50 ${p50_ms.toFixed(1)} ms, p99 ${p99_ms.toFixed(1)} ms` +
        (tier ? ` (${tier})` : ""),
    );
  }
  results.queries = timing;
}

results.file_bytes = fileBytes(path);
results.status = store.status();
store.close();

// (5) A quiet link: flow records at 10 a second for as many days as the default cap keeps them
// (four), one commit a minute, then the dashboard's flow pages over a week and a day: the
// ranges where each hour's top carries the page.
{
  const lowDays = quick ? 0.25 : 4;
  const lowPath = `${dir}/low.db`;
  const low = HistoryStore.open({ path: lowPath, capBytes: cap, hostsPerInterval: top }).store!;
  const start = END - lowDays * 86400;
  for (
    const m of generateMonth({
      start,
      minutes: lowDays * 1440,
      flowsPerMinute: 600,
      topN: 0,
      remotes: 50_000,
      seed: 3,
    })
  ) {
    low.addFlows(m.flows);
    low.commit(m.totals.minute + 60);
  }
  const pages: Record<string, HistoryQuery> = {
    "a week by bytes, first page": {
      kind: "flows",
      query: { from: END - 7 * 86400, to: END, sort: "bytes", limit: 50 },
    },
    "24 h by bytes, first page": {
      kind: "flows",
      query: { from: END - 86400, to: END, sort: "bytes", limit: 50 },
    },
    "24 h by bytes, page 5": {
      kind: "flows",
      query: { from: END - 86400, to: END, sort: "bytes", limit: 50, offset: 200 },
    },
    "24 h, newest first": { kind: "flows", query: { from: END - 86400, to: END, limit: 50 } },
  };
  const timing: Record<string, { p50_ms: number; p99_ms: number }> = {};
  for (const [name, q] of Object.entries(pages)) {
    const { p50_ms, p99_ms } = timed(20, () => low.query(q as never));
    timing[name] = { p50_ms, p99_ms };
    console.log(`quiet link, ${name}: p50 ${p50_ms.toFixed(1)} ms, p99 ${p99_ms.toFixed(1)} ms`);
  }
  results.low_rate = {
    flows_per_second: 10,
    days: lowDays,
    flows: low.query({ kind: "flows", query: { limit: 1 } }).total,
    queries: timing,
  };
  low.close();
}
await Deno.mkdir(new URL("./out/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./out/history.json", import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
await Deno.remove(dir, { recursive: true });
console.log(`database: ${formatBytes(results.file_bytes as number)} (cap ${formatBytes(cap)})`);
