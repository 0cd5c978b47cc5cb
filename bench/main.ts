// `deno task bench`: runs the benchmarks, prints their figures and writes BENCHMARKS.md.
//
// `deno task bench -- --only offline,live` runs a subset, and `-- --report-only` only rewrites
// BENCHMARKS.md. Every section's figures are kept in
// bench/out/results.json, so BENCHMARKS.md is always written from the latest run of each section.
// Sections: offline, live (zero-drop ladder and CPU at 100 kpps), memory (flow engine: updates,
// bytes per flow, an hour of history, engine queries), api (REST over 1M flows), stream
// (200 WebSocket clients at 500 kpps, wire-to-message latency), flood (the worst traffic
// offline through serve beside softflowd, and live at trafgen's top speed with 1 and 2
// workers; sizes: --flood-packets, --flood-live-packets, --flood-runs, --usual-packets,
// --flood-parts offline,live), history (a month on disk: bytes a day, the cap, query p99),
// ui (dashboard, opt-in). --report-to DIR writes BENCHMARKS.md
// (and the plot) under DIR instead of the repository, for a trial run at small sizes.

import { parseArgs } from "node:util";
import { formatFlowsBench, runFlowsBench } from "./flows_bench.ts";
import { benchLive } from "./live.ts";
import { benchOffline, benchOfflineFile, offlineTable } from "./offline.ts";
import { liveTable, streamTable, writeReport } from "./report.ts";
import { benchRest, formatServerBench } from "./server_bench.ts";
import { benchFloodOffline } from "./flood.ts";
import { benchFloodLive } from "./flood_live.ts";
import type { FloodResults } from "./report_flood.ts";
import { runStreamBench } from "./stream_bench.ts";
import { loadResults, OUT, saveResults } from "./results_file.ts";
import { uiBench, uiBenchTable } from "./ui_bench.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const REAL = new URL("../tests/data/pcaps/real/", import.meta.url).pathname;
const DEFAULT_SECTIONS = ["offline", "live", "memory", "api", "stream", "flood", "history"];
const ALL_SECTIONS = [...DEFAULT_SECTIONS, "ui"];

/** The `count` largest captures of the real corpus (by file size). */
function largestReal(dir: string, count: number): string[] {
  const files: { path: string; size: number }[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile || !/\.(pcap|pcapng)$/.test(entry.name)) continue;
      files.push({ path: dir + entry.name, size: Deno.statSync(dir + entry.name).size });
    }
  } catch {
    console.error(`bench: ${dir} is not readable; no real captures measured`);
  }
  return files.sort((a, b) => b.size - a.size).slice(0, count).map((f) => f.path);
}

const { values } = parseArgs({
  // `deno task bench -- --only flood` hands the "--" on: it only separates task arguments.
  args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
  options: {
    only: { type: "string" },
    /** Write BENCHMARKS.md from the kept figures, measuring nothing. */
    "report-only": { type: "boolean" },
    "real-dir": { type: "string", default: REAL },
    "report-to": { type: "string", default: ROOT },
    "flood-packets": { type: "string", default: "3000000" },
    "flood-live-packets": { type: "string", default: "15000000" },
    "flood-runs": { type: "string", default: "5" },
    "usual-packets": { type: "string", default: "2000000" },
    "flood-parts": { type: "string", default: "offline,live" },
  },
});
const reportTo = values["report-to"]!.endsWith("/")
  ? values["report-to"]!
  : `${values["report-to"]}/`;
const sections = values["report-only"]
  ? []
  : values.only
  ? values.only.split(",").map((s) => s.trim())
  : DEFAULT_SECTIONS;
for (const s of sections) {
  if (!ALL_SECTIONS.includes(s)) {
    console.error(`bench: unknown section "${s}"; expected some of ${ALL_SECTIONS.join(",")}`);
    Deno.exit(2);
  }
}
Deno.mkdirSync(OUT, { recursive: true });
const results = loadResults();
const started = performance.now();
const save = () => saveResults(results);
const stamp = () => new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";

if (sections.includes("offline")) {
  const offline = [];
  for (const flows of [5_000, 500_000]) {
    const r = await benchOffline({ packets: 2_000_000, flows, dir: OUT });
    console.log(offlineTable(r), "\n");
    offline.push(r);
  }
  for (const path of largestReal(values["real-dir"]!, 2)) {
    const r = await benchOfflineFile(path);
    console.log(offlineTable(r), "\n");
    offline.push(r);
  }
  results.offline = { at: stamp(), runs: offline };
  save();
}
if (sections.includes("live")) {
  const live = await benchLive();
  console.log(liveTable(live), "\n");
  results.live = { at: stamp(), ...live };
  save();
}
if (sections.includes("memory")) {
  const memory = await runFlowsBench();
  console.log(formatFlowsBench(memory), "\n");
  results.memory = { at: stamp(), ...memory };
  save();
}
if (sections.includes("api")) {
  const rest = await benchRest(1_000_000, 100);
  console.log(formatServerBench({ flows: 1_000_000, rest, stream: [] }), "\n");
  results.api = { at: stamp(), flows: 1_000_000, rest };
  save();
}
if (sections.includes("stream")) {
  const stream = await runStreamBench({ pps: 0, seconds: 30 });
  console.log(streamTable(stream), "\n");
  results.stream = { at: stamp(), runs: stream };
  save();
}
if (sections.includes("flood")) {
  const parts = values["flood-parts"]!.split(",").map((p) => p.trim());
  // A part not run keeps its last figures and the time they were measured.
  const last = results.flood;
  const flood: FloodResults = {
    ...last,
    offlineAt: last?.offlineAt ?? last?.at,
    liveAt: last?.liveAt ?? last?.at,
    at: stamp(),
  };
  if (parts.includes("offline")) {
    flood.offlineAt = stamp();
    flood.offline = await benchFloodOffline({
      dir: OUT,
      packets: Number(values["flood-packets"]),
      runs: Number(values["flood-runs"]),
      usualPackets: Number(values["usual-packets"]),
    });
  }
  if (parts.includes("live")) {
    flood.liveAt = stamp();
    flood.live = await benchFloodLive({ packets: Number(values["flood-live-packets"]) });
  }
  results.flood = flood;
  save();
}
if (sections.includes("history")) {
  // Its own process, as `deno task bench:history` runs it: a month of tiers and a day of flows.
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./history_bench.ts", import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!run.success) throw new Error("bench: history_bench.ts failed");
  const figures = JSON.parse(Deno.readTextFileSync(`${OUT}history.json`));
  results.history = { at: stamp(), ...figures };
  save();
}
if (sections.includes("ui")) {
  const ui = await uiBench();
  console.log(uiBenchTable(ui), "\n");
  results.ui = { at: stamp(), table: uiBenchTable(ui) };
  save();
}
writeReport(results, reportTo);
// Formatted as `deno fmt` would (the repository's fmt check covers Markdown).
await new Deno.Command(Deno.execPath(), {
  args: [
    "fmt",
    "-q",
    ...[`${reportTo}BENCHMARKS.md`, `${reportTo}docs/bench_live_cpu.svg`].filter((f) => {
      try {
        return Deno.statSync(f).isFile;
      } catch {
        return false;
      }
    }),
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
console.log(
  `bench: ${sections.join(", ")} in ${((performance.now() - started) / 60000).toFixed(1)} min; ` +
    `wrote ${reportTo}BENCHMARKS.md and docs/bench_*.svg (figures kept in ` +
    "bench/out/results.json)",
);
