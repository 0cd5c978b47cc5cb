// Writes BENCHMARKS.md and its SVG plots from the figures of the latest run of each section.

import type { FlowsBenchFigures } from "./flows_bench.ts";
import { LIVE_FLOWS, type LiveResult, type LiveStep, zeroDropRate } from "./live.ts";
import { fullSizeSection, stepOutcome } from "./report_full_size.ts";
import type { ToolName } from "./live_tools.ts";
import type { OfflineResult } from "./offline.ts";
import type { ServerBenchFigures } from "./server_bench.ts";
import type { StreamRun } from "./stream_bench.ts";
import { OPTIMISATION } from "./optimisation_log.ts";
import {
  API_MISS,
  CPU_MISS,
  CPU_SPREAD,
  LIVE_MISS,
  MEMORY_NOTE,
  OFFLINE_MISS,
} from "./report_analysis.ts";
import { type FloodResults, floodSection } from "./report_flood.ts";
import type { AbResults } from "./ab_results.ts";
import { type HistoryResults, historySection } from "./report_history.ts";
import { svgLineChart } from "./svg_plot.ts";
import { n, table, verdict } from "./report_format.ts";

/** Every section's figures, each stamped with when it ran. */
export interface BenchResults {
  offline?: { at: string; runs: OfflineResult[] };
  live?: { at: string } & LiveResult;
  memory?: { at: string } & FlowsBenchFigures;
  api?: { at: string; flows: number; rest: ServerBenchFigures["rest"] };
  stream?: { at: string; runs: StreamRun[] };
  flood?: FloodResults;
  /** The latest `deno task bench:ab` (bench/ab_results.ts). */
  ab?: AbResults;
  history?: HistoryResults;
  ui?: { at: string; table: string };
}

const TOOLS: readonly ToolName[] = ["netwatch", "darkstat", "softflowd"];

function mpps(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(0)} k`;
}

/** Median of Netwatch's engine rate over softflowd's for one capture. */
function offlineRatio(r: OfflineResult): number {
  const nw = r.measurements.find((m) => m.name.startsWith("netwatch read + decode + flow"));
  const sf = r.measurements.find((m) => m.name.startsWith("softflowd"));
  return nw && sf ? nw.packetsPerSecond / sf.packetsPerSecond : NaN;
}

/** The live ladder as a plain-text table (also printed by `deno task bench`). */
export function liveTable(r: LiveResult): string {
  const lines = [
    `Live capture on veth, 64-byte frames, ${n(LIVE_FLOWS)} flows; trafgen alone: ${
      n(r.generatorPps)
    } pps`,
    `${"tool".padEnd(10)}${"asked".padStart(10)}${"sent pps".padStart(11)}${
      "captured".padStart(11)
    }${"dropped".padStart(10)}${"CPU %".padStart(8)}  zero-drop`,
  ];
  for (const s of [...r.typical, ...r.steps]) {
    lines.push(
      `${s.tool.padEnd(10)}${(s.asked ? String(s.asked) : "max").padStart(10)}${
        n(s.sentPps).padStart(11)
      }${String(s.captured).padStart(11)}${String(s.dropped).padStart(10)}${
        s.cpuPercent.toFixed(1).padStart(8)
      }  ${s.zeroDrop ? "yes" : "NO"}`,
    );
  }
  return lines.join("\n");
}

/** The stream runs as a plain-text table. */
export function streamTable(runs: StreamRun[]): string {
  const lines = [
    "Stream during live capture (3 subscriptions per client at 500 ms)",
    "clients  sent pps  captured pps  drops  server CPU %  msg/client/s (min)  latency p50/p95 ms",
  ];
  for (const s of runs) {
    lines.push(
      `${String(s.clients).padStart(7)}  ${n(s.sentPps).padStart(8)}  ${
        n(s.capturedPps).padStart(12)
      }  ${String(s.kernelDrops).padStart(5)}  ${s.serverCpuPercent.toFixed(1).padStart(12)}  ${
        `${s.messagesPerClientPerSec.toFixed(2)} (${s.minMessagesPerClientPerSec.toFixed(2)})`
          .padStart(18)
      }  ${n(s.latencyP50Ms)}/${n(s.latencyP95Ms)}`,
    );
  }
  return lines.join("\n");
}

function offlineSection(res: BenchResults, out: string[], summary: string[][]): void {
  const o = res.offline;
  out.push("## 1. Offline throughput", "");
  if (!o) {
    out.push("Not measured yet: `deno task bench -- --only offline`.", "");
    summary.push(["Offline decode + flow engine >= 3x softflowd", "-", "not measured"]);
    return;
  }
  out.push(
    `Measured ${o.at}. Each tool reads the same file, one after another, in the same run; ` +
      "figures are medians. Netwatch's main figure is reading the file (its own reader for " +
      "classic pcap, as `report` does) + decode + counters + the " +
      "full flow engine (`FlowEngine.add` with hosts and time series, timeouts ticked in file " +
      "time), configured as `report --flows` configures it, timed in process. The whole-process " +
      "`report --flows` adds Deno start-up, JIT warm-up and the JSON of every flow record. " +
      "softflowd runs `-r` with no export (its control socket fed so that 1.1.0 does not block " +
      "in accept()); tcpdump only copies records.",
    "",
  );
  const ratios: number[] = [];
  for (const r of o.runs) {
    const name = r.kind === "real"
      ? `\`${r.capture.path.split("/").pop()}\` (real): ${n(r.capture.packets)} packets, ${
        n(r.capture.flows)
      } flow records`
      : `Generated: ${n(r.capture.packets)} packets, ${n(r.capture.flows)} flows, ${
        (r.fileBytes / 1048576).toFixed(0)
      } MiB`;
    out.push(`**${name}**, median of ${r.runs} runs`, "");
    const soft = r.measurements.find((m) => m.name.startsWith("softflowd"));
    out.push(table(
      ["tool", "seconds", "packets/s", "x softflowd", "note"],
      r.measurements.map((m) => [
        m.name,
        m.seconds.toFixed(3),
        n(m.packetsPerSecond),
        soft ? (m.packetsPerSecond / soft.packetsPerSecond).toFixed(2) : "-",
        m.note ?? "",
      ]),
    ));
    out.push("");
    ratios.push(offlineRatio(r));
  }
  const worst = Math.min(...ratios);
  const met = worst >= 3;
  out.push(
    `Target: decode + flow engine at least 3x softflowd. ${verdict(met)}: ` +
      `${ratios.map((r) => `${r.toFixed(2)}x`).join(", ")} (in the order above)` +
      (met
        ? "."
        : `; the generated captures would need ${
          ratios.slice(0, 2).map((r) => `${(3 / r).toFixed(1)}x`).join(" and ")
        } more speed.`),
    "",
  );
  if (!met) out.push(OFFLINE_MISS, "");
  summary.push([
    "Offline decode + flow engine >= 3x softflowd",
    ratios.map((r) => `${r.toFixed(2)}x`).join(" / "),
    verdict(met),
  ]);
}

function liveSection(res: BenchResults, out: string[], summary: string[][], root: string): void {
  const l = res.live;
  out.push("## 2. Live zero-drop rate", "");
  if (!l) {
    out.push("Not measured yet: `deno task bench -- --only live` (root).", "");
    summary.push(["Zero drops at min(1 Mpps, generator limit)", "-", "not measured"]);
    summary.push(["CPU at 100 kpps < 5% of a core", "-", "not measured"]);
    return;
  }
  const target = Math.min(1e6, l.generatorPps);
  out.push(
    `Measured ${l.at}. Two namespaces joined by veth; \`trafgen -P 1\` sends 64-byte UDP frames ` +
      `in ${n(LIVE_FLOWS)} flows to a MAC nobody owns, and each tool in turn captures the ` +
      "receiving end with its default settings (Netwatch: `serve -i <veth>`, 64 MiB kernel " +
      "buffer; darkstat and softflowd: libpcap's default 2 MiB). Each step sends for " +
      `${l.stepSeconds} s; a step is zero-drop when the tool's own drop counter did not move and ` +
      "it accounted every packet the veth sent. The ladder stops at a tool's first loss. " +
      `\`max\` is trafgen at top speed. trafgen alone (nothing capturing, median of 3): ` +
      `**${n(l.generatorPps)} pps**, ` +
      (l.generatorPps < 1e6
        ? "below 1 Mpps, so the generator's limit is the target. "
        : "above 1 Mpps, so 1 Mpps is the target. ") +
      "On 2 cores, trafgen takes one core and the capture tool gets the other. While a tool " +
      "captures, trafgen's top speed drops (the `max` rows): on veth the receive path, " +
      "including the copy of every frame into the capture's ring, runs in the sender's " +
      "context, so it is charged to trafgen's core, not to the tool. With a rate asked " +
      "(`-b`), trafgen's pacing tops out lower still (about 450 kpps here), which is why the " +
      "500k, 750k and 1M steps all sent about the same.",
    "",
  );
  const rows: string[][] = [];
  for (const tool of TOOLS) {
    const best = zeroDropRate(l, tool);
    const steps = l.steps.filter((s) => s.tool === tool);
    if (!steps.length) continue;
    const fail = steps.find((s) => !s.zeroDrop);
    rows.push([
      tool,
      best ? n(best.sentPps) : "none",
      best ? best.cpuPercent.toFixed(1) : "-",
      fail ? `${n(fail.sentPps)} pps: ${n(fail.dropped)} dropped of ${n(fail.sent)}` : "none",
    ]);
  }
  out.push(
    table(
      ["tool", "highest zero-drop rate (pps)", "CPU % of a core there", "first loss"],
      rows,
    ),
    "",
  );
  out.push(
    "Every step:",
    "",
    table(
      ["tool", "asked pps", "sent pps", "captured", "dropped", "CPU %", "zero-drop"],
      l.steps.map((s) => [s.tool, s.asked ? n(s.asked) : "max", ...stepOutcome(s)]),
    ),
    "",
  );
  const nwSteps = l.steps.filter((s) => s.tool === "netwatch");
  const nwBest = zeroDropRate(l, "netwatch");
  const reachedTop = nwSteps.some((s) => s.asked === 0 && s.zeroDrop);
  const liveMet = nwSteps.length ? (reachedTop || (nwBest?.sentPps ?? 0) >= 1e6) : undefined;
  const top = nwSteps.find((s) => s.asked === 0);
  out.push(
    `Target: zero drops at 1 Mpps or the generator's limit, whichever is lower. ${
      verdict(liveMet)
    }` +
      (liveMet && top
        ? `: no drop at any step, up to trafgen's top speed while Netwatch captures (${
          n(top.sentPps)
        } pps; ${n(l.generatorPps)} pps with nothing capturing), at ${
          top.cpuPercent.toFixed(1)
        }% of a core. 1 Mpps could not be offered on this machine.`
        : nwBest
        ? `: Netwatch's highest zero-drop rate was ${n(nwBest.sentPps)} pps (${
          (100 * nwBest.sentPps / target).toFixed(0)
        }% of ${n(target)}).`
        : "."),
    "",
  );
  if (liveMet === false) out.push(LIVE_MISS, "");
  summary.push([
    `Zero drops at min(1 Mpps, generator limit) = ${mpps(target)}pps`,
    liveMet && top
      ? `no drop up to trafgen's top speed: ${mpps(top.sentPps)}pps while capturing (${
        mpps(l.generatorPps)
      }pps alone)`
      : nwBest
      ? `${mpps(nwBest.sentPps)}pps zero-drop`
      : "-",
    verdict(liveMet),
  ]);
  fullSizeSection(l, out, summary);
  writePlot(root, "docs/bench_live_cpu.svg", l);
  out.push("![CPU against packet rate](docs/bench_live_cpu.svg)", "");

  out.push("## 3. CPU at typical load", "");
  out.push(
    `Each tool captures 100 kpps (same traffic${
      l.paced ? ", evenly paced by tcpreplay" : ", in trafgen's one burst a second"
    }) for ${l.typicalSeconds} s, ` +
      `${l.typical[0]?.cpuRuns?.length ?? 1} times in a row; CPU is user + system time of the ` +
      "whole process (every thread) from /proc/<pid>/stat, as a share of one core, and the " +
      "figure is the median run's.",
    "",
    table(
      ["tool", "sent pps", "CPU % of a core (median)", "each run", "dropped"],
      l.typical.map((t) => [
        t.tool,
        n(t.sentPps),
        t.cpuPercent.toFixed(1),
        (t.cpuRuns ?? [t.cpuPercent]).map((c) => c.toFixed(1)).join(", "),
        n(t.dropped),
      ]),
    ),
    "",
  );
  if (l.typical.some((t) => t.dropped > 0)) {
    out.push(
      "A tool that dropped packets here only paid for the ones it kept, so its CPU figure is " +
        "not comparable.",
      "",
    );
  }
  const nwTypical = l.typical.find((t) => t.tool === "netwatch");
  const cpuMet = nwTypical ? nwTypical.cpuPercent < 5 : undefined;
  out.push(
    `Target: under 5%. ${verdict(cpuMet)}` +
      (nwTypical && !cpuMet
        ? `: ${nwTypical.cpuPercent.toFixed(1)}%, ${
          (nwTypical.cpuPercent - 5).toFixed(1)
        } points (${(100 * (nwTypical.cpuPercent / 5 - 1)).toFixed(0)}%) over.`
        : "."),
    "",
  );
  if (cpuMet === false) out.push(CPU_MISS, "");
  if (nwTypical) out.push(CPU_SPREAD, "");
  summary.push([
    "CPU at 100 kpps < 5% of a core",
    nwTypical ? `${nwTypical.cpuPercent.toFixed(1)}%` : "-",
    verdict(cpuMet),
  ]);
}

function writePlot(root: string, file: string, l: LiveResult): void {
  // One series per tool, CPU % against the rate sent. The chart shares one x axis, so each
  // series is given at every x up to its last step, interpolated between its own steps (which
  // draws exactly the segments between its measured points), and ends at its last step.
  const series = TOOLS.map((tool) => ({
    tool,
    steps: l.steps.filter((s) => s.tool === tool).sort((a, b) => a.sentPps - b.sentPps),
  })).filter((s) => s.steps.length);
  const x = [...new Set(series.flatMap((s) => s.steps.map((t) => Math.round(t.sentPps / 1000))))]
    .sort((a, b) => a - b);
  if (!x.length) return;
  const at = (steps: LiveStep[], k: number): number | undefined => {
    const pts = steps.map((t) => [t.sentPps / 1000, t.cpuPercent]);
    if (k < pts[0][0] - 0.5 || k > pts[pts.length - 1][0] + 0.5) return undefined;
    for (let i = 1; i < pts.length; i++) {
      if (k <= pts[i][0]) {
        const [x0, y0] = pts[i - 1];
        const [x1, y1] = pts[i];
        return x1 === x0 ? y1 : y0 + ((y1 - y0) * (k - x0)) / (x1 - x0);
      }
    }
    return pts[pts.length - 1][1];
  };
  const svg = svgLineChart({
    title: "Live capture: CPU against packet rate (64-byte frames, veth)",
    xLabel: "packets per second sent (thousands); each line ends at its tool's last step",
    yLabel: "CPU, % of one core",
    x,
    series: series.map((s) => {
      const values: number[] = [];
      for (const k of x) {
        const v = at(s.steps, k);
        if (v === undefined) {
          if (values.length) break;
          values.push(s.steps[0].cpuPercent);
        } else values.push(v);
      }
      const lost = s.steps.some((t) => !t.zeroDrop);
      return { name: `${s.tool}${lost ? " (last step lost packets)" : ""}`, values };
    }),
  });
  Deno.mkdirSync(`${root}docs`, { recursive: true });
  Deno.writeTextFileSync(`${root}${file}`, svg);
}

function memorySection(res: BenchResults, out: string[], summary: string[][]): void {
  const m = res.memory;
  out.push("## 4. Memory", "");
  if (!m) {
    out.push("Not measured yet: `deno task bench -- --only memory`.", "");
    summary.push(["< 128 B/flow; < 1 GB at 7.2M flows", "-", "not measured"]);
    return;
  }
  const [small, large] = m.bytesFlows ?? [1_000_000, 5_000_000];
  const minutes = m.historyMinutes ?? 60;
  out.push(
    `Measured ${m.at} (bench/flows_bench.ts). Bytes per flow are the RSS delta of a fresh ` +
      "process (forced GC before and after) divided by the flows held, with the engine built " +
      "as serve builds it (names, apps and places); every flow is a full flow (a TCP flow's " +
      "SYN gets its SYN-ACK, or it would wait in the one-packet ring) and sends a payload " +
      "that names it (a DNS query or a TLS ClientHello), so payload inspection runs. " +
      `The hour of history is ${minutes} simulated minutes at 2,000 new two-packet flows per ` +
      `second (${n(minutes * 120_000)} flows), history capped to hold them all, ` +
      "whole-process RSS.",
    "",
    table(["figure", "value"], [
      ["flow updates/s through FlowEngine.add (200,000 flows)", n(m.updatesPerSecond)],
      [
        `bytes per flow at ${n(small)} flows`,
        `${n(m.bytesPerFlow1M, 1)} (arrays: ${n(m.computedBytesPerFlow1M, 1)})`,
      ],
      [
        `bytes per flow at ${n(large)} flows`,
        `${n(m.bytesPerFlow5M, 1)} (arrays: ${n(m.computedBytesPerFlow5M, 1)})`,
      ],
      ...(m.marginalBytesPerFlow === undefined ? [] : [[
        "one more flow (the slope between the two; fixed costs cancel)",
        n(m.marginalBytesPerFlow, 1),
      ], [
        "one-packet ring at its default size (fixed; any TCP churn touches it all)",
        `${n((m.embryoRingBytes ?? 0) / 2 ** 20, 1)} MiB`,
      ]]),
      [
        `RSS after ${minutes} min at 2,000 new flows/s`,
        `${n(m.historyHourRssMiB, 1)} MiB (${n(m.historyHourRecords)} history records)`,
      ],
      [
        "same with default caps (2M history records)",
        `${n(m.historyDefaultRssMiB, 1)} MiB (${n(m.historyDefaultRecords)} records)`,
      ],
      [
        `engine query p50 / p99 over ${n(m.queryFlows ?? 1_000_000)} flows (ms)`,
        `${n(m.queryP50Ms, 2)} / ${n(m.queryP99Ms, 2)}`,
      ],
    ]),
    "",
  );
  // A flow's cost is the slope (fixed costs cancel); older results have only the two deltas.
  const perFlow = m.marginalBytesPerFlow ?? Math.max(m.bytesPerFlow1M, m.bytesPerFlow5M);
  const met = perFlow < 128 && m.historyHourRssMiB < 1024;
  out.push(MEMORY_NOTE, "");
  out.push(
    `Target: under 128 bytes per flow and the process under 1 GB at 7.2M flows. ${verdict(met)}: ` +
      `${n(perFlow, 1)} B for one more flow, ${n(m.historyHourRssMiB)} MiB.`,
    "",
  );
  const slope = m.marginalBytesPerFlow === undefined
    ? ""
    : ` (one more flow: ${n(m.marginalBytesPerFlow, 1)})`;
  summary.push([
    "< 128 B/flow; < 1 GB at 7.2M flows",
    `${n(m.bytesPerFlow1M, 1)} / ${n(m.bytesPerFlow5M, 1)} B${slope}; ` +
    `${n(m.historyHourRssMiB)} MiB`,
    verdict(met),
  ]);
}

function apiSection(res: BenchResults, out: string[], summary: string[][]): void {
  const a = res.api;
  out.push("## 5. API latency", "");
  if (!a) {
    out.push("Not measured yet: `deno task bench -- --only api`.", "");
    summary.push(["API p99 < 20 ms at 1M flows", "-", "not measured"]);
    return;
  }
  out.push(
    `Measured ${a.at} (bench/server_bench.ts). ${n(a.flows)} active flows in the engine, the ` +
      "real Hono app on Deno.serve, sequential requests with fetch over loopback (after 3 " +
      `warm-up requests), ${a.rest[0]?.requests ?? 0} requests each.`,
    "",
    table(
      ["request", "p50 ms", "p99 ms"],
      a.rest.map((r) => [r.name, r.p50.toFixed(1), r.p99.toFixed(1)]),
    ),
    "",
  );
  const worst = Math.max(...a.rest.map((r) => r.p99));
  const met = worst < 20;
  out.push(`Target: p99 under 20 ms. ${verdict(met)}: worst p99 ${worst.toFixed(1)} ms.`, "");
  if (!met) out.push(API_MISS, "");
  summary.push(["API p99 < 20 ms at 1M flows", `worst p99 ${worst.toFixed(1)} ms`, verdict(met)]);
}

function streamSection(res: BenchResults, out: string[], summary: string[][]): void {
  const s = res.stream;
  out.push("## 6. Live stream", "");
  if (!s) {
    out.push("Not measured yet: `deno task bench -- --only stream` (root).", "");
    summary.push(["Stream p95 wire-to-message < 1 s", "-", "not measured"]);
    return;
  }
  out.push(
    `Measured ${s.at} (bench/stream_bench.ts). trafgen sends ${
      s.runs[0]?.askedPps ? `${n(s.runs[0].askedPps)} pps` : "at top speed (its paced mode " +
        "tops out near 450 kpps here, below the 500 kpps asked; see section 2)"
    } (64-byte frames, ${n(LIVE_FLOWS)} flows) across veth while \`netwatch serve\` ` +
      "captures; clients each subscribe to rates, talkers (top 10) and flows (top 50 by " +
      "bytes) at 500 ms. Latency: while the clients run, a probe subscribes to `flows` filtered " +
      "on a fresh port, waits for its first (empty) message, sleeps a random 0-500 ms, sends " +
      "one UDP packet to that port across the veth and times the first message whose total " +
      "is non-zero. That includes the capture's batching (libpcap timeout 50 ms, batch flush " +
      "50 ms) and the wait for the subscription's next 500 ms slot.",
    "",
    table(
      [
        "clients",
        "sent pps",
        "captured pps",
        "kernel drops",
        "server CPU %",
        "msg/client/s (min)",
        "skipped",
        "RSS MiB",
        "latency p50 / p95 ms (markers)",
      ],
      s.runs.map((r) => [
        String(r.clients),
        n(r.sentPps),
        n(r.capturedPps),
        n(r.kernelDrops),
        r.serverCpuPercent.toFixed(1),
        `${r.messagesPerClientPerSec.toFixed(2)} (${r.minMessagesPerClientPerSec.toFixed(2)})`,
        n(r.skippedUpdates),
        n(r.serverRssMiB),
        `${n(r.latencyP50Ms)} / ${n(r.latencyP95Ms)} (${r.latencyMs.length})`,
      ]),
    ),
    "",
  );
  const loaded = s.runs.find((r) => r.clients === 200) ?? s.runs[s.runs.length - 1];
  const met = loaded.latencyP95Ms < 1000;
  out.push(
    "The captured rate is over the clients' window; server CPU is the whole Netwatch process " +
      "(capture worker, engine, HTTP and WebSocket) as a share of one core. The clients run " +
      "in a separate process on the same 2 cores, beside trafgen.",
    "",
  );
  out.push(
    `Target: p95 under 1 s with 200 clients. ${verdict(met)}: ${n(loaded.latencyP95Ms)} ms; ` +
      `${n(loaded.kernelDrops)} kernel drops, ${
        loaded.messagesPerClientPerSec.toFixed(2)
      } of 6 messages per client per second delivered.`,
    "",
  );
  summary.push([
    "Stream p95 wire-to-message < 1 s (200 clients, 500 kpps)",
    `${n(loaded.latencyP95Ms)} ms; drops ${n(loaded.kernelDrops)}`,
    verdict(met),
  ]);
}

/** Writes BENCHMARKS.md (and the plot) under `root`. */
export function writeReport(res: BenchResults, root: string): void {
  const body: string[] = [];
  const summary: string[][] = [];
  offlineSection(res, body, summary);
  liveSection(res, body, summary, root);
  memorySection(res, body, summary);
  apiSection(res, body, summary);
  streamSection(res, body, summary);
  floodSection(res.flood, body, summary, res.ab);
  historySection(res.history, res.flood, body, summary);
  if (res.ui) {
    body.push("## Dashboard", "", `Measured ${res.ui.at}.`, "", "```", res.ui.table, "```", "");
  }
  const doc = [
    "# Benchmarks",
    "",
    "Written by `deno task bench` (bench/main.ts; " +
    "`-- --only offline,live,memory,api,stream,flood,history,ui` " +
    "runs a subset, the other sections keep their last figures from bench/out/results.json). " +
    "The machine is a shared 2-core VM, so every figure is a median or a ratio measured in " +
    "the same run as its reference, never a single time. Live sections need root (network " +
    "namespaces), trafgen, tcpreplay, darkstat and softflowd.",
    "",
    "## Summary",
    "",
    table(["target", "measured", "verdict"], summary),
    "",
    ...body,
    OPTIMISATION,
    "",
  ].join("\n");
  Deno.writeTextFileSync(`${root}BENCHMARKS.md`, doc);
}

/** For type checks of callers that only format: the step type. */
export type { LiveStep };
