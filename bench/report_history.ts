// The "History on disk" section of BENCHMARKS.md, from bench/history_bench.ts's figures and the
// flood section's replay with and without history (what writing it costs the capture).

import type { FloodResults } from "./report_flood.ts";
import { TOP_PER_MINUTE } from "../history/schema.ts";
import { formatBytes } from "../history/size_units.ts";
import { n, table, verdict } from "./report_format.ts";

/** What bench/history_bench.ts writes to bench/out/history.json. */
export interface HistoryBenchFigures {
  days: number;
  rate: number;
  cap: number;
  top: number;
  /** Minutes of flow records written (older figures: a day). */
  flow_minutes?: number;
  sqlite: string;
  tiers: { minutes: number; host_rows_per_minute: number; bytes_per_day: number };
  flows: {
    inserted: number;
    insert_us_per_flow: number;
    flows_per_second: number;
    bytes_per_flow: number;
    kept_at_cap: number;
    retention_runs: number;
  };
  bytes_per_day_at_rate: Record<string, number>;
  handoff_us_per_flow: number;
  queries: Record<string, { p50_ms: number; p99_ms: number; tier?: string }>;
  /** Flow pages over days of a quiet link (older figures: none). */
  low_rate?: {
    flows_per_second: number;
    days: number;
    flows: number;
    queries: Record<string, { p50_ms: number; p99_ms: number }>;
  };
  file_bytes: number;
}

/** The section's figures as kept in bench/out/results.json. */
export type HistoryResults = { at: string } & HistoryBenchFigures;

/** The issue's query target: p99 of these under 200 ms over a month of data. */
const TARGET_MS = 200;
const MiB = 1024 * 1024;

/** Appends the section to `out` and its targets to `summary`. */
export function historySection(
  h: HistoryResults | undefined,
  flood: FloodResults | undefined,
  out: string[],
  summary: string[][],
): void {
  out.push("## 8. History on disk", "");
  if (!h) {
    out.push("Not measured yet: `deno task bench -- --only history`.", "");
    summary.push(["History queries p99 < 200 ms over a month", "-", verdict(undefined)]);
    return;
  }
  out.push(
    `Measured ${h.at} (bench/history_bench.ts; SQLite ${h.sqlite} through Deno's node:sqlite). ` +
      `A generated month, time-compressed: ${n(h.days)} days of minute totals with the top ` +
      `${n(h.top)} hosts of each minute (${n(h.tiers.host_rows_per_minute)} host rows a ` +
      `minute) rolled up to 5 minutes and hours, then flow records at ${n(h.rate)} new flows a ` +
      `second over the month's last ${n((h.flow_minutes ?? 1440) / 60, 0)} hours, one commit ` +
      `a second, the ${n(h.cap / MiB)} MiB cap dropping the oldest once reached.`,
    "",
  );
  const perFlow = h.flows.bytes_per_flow;
  out.push(
    table(
      [
        "new flows per second",
        "flow records a day",
        "totals and hosts a day",
        "a day",
        "cap holds",
      ],
      Object.entries(h.bytes_per_day_at_rate).map(([rate, day]) => [
        n(Number(rate)),
        formatBytes(Number(rate) * 86400 * perFlow),
        formatBytes(h.tiers.bytes_per_day),
        formatBytes(day),
        `${n(h.cap / day, 1)} days`,
      ]),
    ),
    "",
    `A flow record takes ${n(perFlow, 1)} bytes on disk; a month of totals and hosts ` +
      `${formatBytes(h.tiers.bytes_per_day * h.days)}. At the end the file was ` +
      `${n(h.file_bytes / MiB, 1)} MiB for a ${n(h.cap / MiB)} MiB cap, holding ` +
      `${n(h.flows.kept_at_cap)} of the ${n(h.flows.inserted)} flow records written ` +
      `(retention ran ${n(h.flows.retention_runs)} times).`,
    "",
  );
  const serve = flood?.offline?.serve;
  const bare = flood?.offline?.serveNoHistory;
  const cost = serve && bare ? 1 - serve.packetsPerSecond / bare.packetsPerSecond : NaN;
  out.push(
    "**Cost to the capture.** Writing runs in the history worker: " +
      `${n(h.flows.insert_us_per_flow, 1)} µs per flow record there ` +
      `(${n(h.flows.flows_per_second)} a second, one core). The engine's thread only copies an ` +
      `ended flow into a ring (${n(h.handoff_us_per_flow, 2)} µs per flow to hand a batch to the ` +
      "worker, once a second) and a finished minute's totals. " +
      (serve && bare
        ? `Through serve (section 7's flood replay, same run): ${n(serve.packetsPerSecond)} ` +
          `packets/s with history, ${n(bare.packetsPerSecond)} with --no-history ` +
          `(${cost > 0 ? `${n(cost * 100, 1)}% slower` : "no slower"} with it).`
        : "Section 7 replays the flood with and without history."),
    "",
  );
  const rows = Object.entries(h.queries).map(([name, q]) => [
    name,
    q.tier ?? "-",
    n(q.p50_ms, 1),
    n(q.p99_ms, 1),
  ]);
  out.push(
    "**Queries** over the whole database, in the worker as the API asks them; the totals' and " +
      "talkers' ends moved at random over the month's last two hours, the past flow spans " +
      "placed at random among the flow records kept:",
    "",
    table(["query", "tier", "p50 ms", "p99 ms"], rows),
    "",
    "The totals and talkers read the coarsest tier that fits the range. Flow records are one " +
      "table ordered by end time. A range's count comes from per-minute counts, and its " +
      `biggest flows (the dashboard's default order, pages up to ${TOP_PER_MINUTE} deep) from ` +
      `each minute's ${TOP_PER_MINUTE} biggest, kept as flows are written (and each past ` +
      "hour's, built from its minutes'); only the partial " +
      "minutes at a range's edges, and " +
      "for a past span the flows still running at its end (the long ones through their own " +
      "index), are read row by row. Other orders and filters on addresses or text read every " +
      "record in the range: millions at this rate, which is what those rows' p99 measures.",
    "",
  );
  const low = h.low_rate;
  if (low) {
    out.push(
      `**A quiet link**: ${n(low.flows_per_second)} new flows a second for ` +
        `${n(low.days, Number.isInteger(low.days) ? 0 : 2)} ` +
        `days (${n(low.flows)} flow records, about what the default cap keeps at that rate), ` +
        "one commit a minute. A range of days reads each past hour's top, built from its " +
        "minutes' ten minutes after the hour:",
      "",
      table(
        ["query", "p50 ms", "p99 ms"],
        Object.entries(low.queries).map(([name, q]) => [name, n(q.p50_ms, 1), n(q.p99_ms, 1)]),
      ),
      "",
    );
  }
  const targets = Object.entries(h.queries).filter(([name]) =>
    name.startsWith("talkers 24 h") || /^series \d+ d$/.test(name)
  );
  const worst = Math.max(...targets.map(([, q]) => q.p99_ms));
  const met = targets.length === 2 ? worst < TARGET_MS : undefined;
  out.push(
    `Target: top 10 talkers over 24 hours and a ${n(h.days)}-day series under ${TARGET_MS} ms ` +
      `p99: ${verdict(met)} (worst ${n(worst, 1)} ms).`,
    "",
  );
  summary.push([
    `History: talkers 24 h and ${n(h.days)}-day series p99 < ${TARGET_MS} ms`,
    `${n(worst, 1)} ms worst`,
    verdict(met),
  ]);
  summary.push([
    "History: size cap holds",
    `${n(h.file_bytes / MiB, 1)} MiB of ${n(h.cap / MiB)} MiB`,
    verdict(h.file_bytes <= h.cap),
  ]);
  if (serve && bare) {
    summary.push([
      "History costs the capture nothing measurable (flood replay)",
      `${n(serve.packetsPerSecond)} vs ${n(bare.packetsPerSecond)} packets/s without`,
      verdict(cost < 0.05),
    ]);
  }
}
