// The "Flood" section of BENCHMARKS.md: the worst traffic offline and live, beside softflowd and
// beside the figures measured before issue 13's rebuild.

import type { FloodOfflineResult, Timed } from "./flood.ts";
import type { FloodLiveResult, FloodLiveRun } from "./flood_live.ts";
import { n, table, verdict } from "./report_format.ts";
import { FLOOD_X_MISS, LIVE_WORKERS_NOTE, USUAL_MIX_MISS } from "./report_analysis.ts";
import { abRatio, type AbResults } from "./ab_results.ts";

/** What `deno task bench -- --only flood` keeps. */
export interface FloodResults {
  /** When the last `--only flood` ran; each part says when it was measured, if apart. */
  at: string;
  offline?: FloodOfflineResult;
  offlineAt?: string;
  live?: FloodLiveResult;
  liveAt?: string;
}

/**
 * Before the rebuild (issue 13, same machine): the engine and HTTP on one thread. The usual mix
 * is BENCHMARKS.md's offline section as it stood then (measured 2026-11-26 11:22 UTC).
 */
const BEFORE = {
  /** The round's start: the commit the usual mix must be no slower than (bench:ab's base). */
  commit: "83ecdbf",
  servePps: 3_000_000 / 8.8,
  serveSeconds: 8.8,
  softflowdPps: 360_000,
  liveQuiet: "341 kpps for 15M packets with no drop, but /stats unanswered for over 20 s",
  liveLoaded: "246 kpps with other work on the machine: 684,674 dropped (4.6%)",
  usual: new Map([[5_000, { pps: 4_926_867, ratio: 1.89 }], [500_000, {
    pps: 622_130,
    ratio: 1.98,
  }]]),
};

function mpps(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} Mpps` : `${(v / 1e3).toFixed(0)} kpps`;
}

function ratio(a: Timed | undefined, b: Timed | undefined): number {
  return a && b ? a.packetsPerSecond / b.packetsPerSecond : NaN;
}

/**
 * A/B ratios at least this count as no slower: a 2% allowance for noise, less than the 3 to 4%
 * that alternated runs of one tree spread over here (optimisation log), so a pass is a pass.
 */
const AB_NOISE = 0.98;

function offlinePart(
  o: FloodOfflineResult,
  ab: AbResults | undefined,
  out: string[],
  summary: string[][],
): void {
  const sf = o.softflowd;
  const sfLarge = o.softflowdLarge;
  const row = (name: string, t: Timed | undefined, note: string) =>
    t
      ? [
        name,
        n(t.seconds, 3),
        n(t.packetsPerSecond),
        n(ratio(t, sf), 2),
        n(ratio(t, sfLarge), 2),
        note,
      ]
      : [name, "-", "-", "-", "-", "not measured"];
  out.push(
    `**Offline: ${n(o.packets)} packets** (${n(o.synPackets)} SYNs, each from a new random ` +
      "source address and port to 192.168.0.1:80; the rest full-size packets from five heavy " +
      `hosts to its port 443; 1.488 Mpps spacing; ${(o.fileBytes / 2 ** 20).toFixed(0)} MiB), ` +
      `median of ${o.runs} runs, tools alternated run by run:`,
    "",
    table(
      ["tool", "seconds", "packets/s", "x softflowd", "x softflowd -m 1M", "note"],
      [
        row(
          "netwatch serve --read --speed max",
          o.serve,
          "timed from the first /stats answer to the /stats with every packet (polled every " +
            `10 ms; /stats trails the engine by up to 100 ms at both ends); ` +
            `${n(o.serve.packetsAtFirstAnswer)} packets were read before the first answer ` +
            "and are not in the rate",
        ),
        row(
          "netwatch serve --read --speed max --no-history",
          o.serveNoHistory,
          "the same without writing history: the difference is what history costs the capture",
        ),
        row(
          "netwatch read + decode + flow engine",
          o.engine,
          "in process, as report --flows; one thread",
        ),
        row("softflowd -r (-m 8192, its default)", sf, "flow tracking, no export"),
        row("softflowd -r -m 1000000", sfLarge, "Netwatch's flow table size"),
      ],
    ),
    "",
    `Before the rebuild (issue 13, same file size and machine): \`serve\` took ` +
      `${BEFORE.serveSeconds} s (${mpps(BEFORE.servePps)}), softflowd -r ` +
      `${mpps(BEFORE.softflowdPps)}, and /stats did not answer for the whole replay.`,
    "",
  );
  const servePps = o.serve.packetsPerSecond;
  const rateMet = servePps >= 1.5e6;
  const x = ratio(o.serve, sf);
  const xMet = Number.isFinite(x) ? x >= 4 : undefined;
  out.push(
    `Targets: through \`serve\` at least 1.5 Mpps: ${verdict(rateMet)} (${mpps(servePps)}); ` +
      `at least 4x softflowd -r on the same file: ${verdict(xMet)} (${n(x, 2)}x its default ` +
      `table, ${n(ratio(o.serve, sfLarge), 2)}x at -m 1000000; the verdict takes the default, ` +
      "the faster of the two here).",
    "",
  );
  if (xMet === false) out.push(FLOOD_X_MISS, "");
  summary.push(["Flood through serve >= 1.5 Mpps", mpps(servePps), verdict(rateMet)]);
  summary.push(["Flood through serve >= 4x softflowd -r", `${n(x, 2)}x`, verdict(xMet)]);

  const all = o.api.find((a) => a.name === "all");
  out.push(
    `**API during the replay**: ${o.apiRuns} more replays, each probed back to back from one ` +
      "client (/stats, /talkers?window=1m&limit=10, /flows?limit=50 in turn) from the start " +
      `until /stats had every packet (median replay ${n(o.apiReplaySeconds, 2)} s):`,
    "",
    table(
      ["request", "answers", "p50 ms", "p99 ms", "max ms", "not 200"],
      o.api.map((a) => [a.name, n(a.count), n(a.p50, 1), n(a.p99, 1), n(a.max, 1), n(a.failed)]),
    ),
    "",
    `Longest wait for any answer: ${n(o.apiLongestGapMs)} ms. After each replay, /talkers ` +
      (o.talkersExact
        ? "ranked the server first, then the five heavy hosts with their exact bytes."
        : `did **not** rank the heavy hosts exactly behind the server: ${o.talkersNote}.`),
    "",
  );
  const apiMet = all ? all.p99 < 100 && all.failed === 0 : undefined;
  summary.push([
    "API p99 < 100 ms during the flood replay",
    all ? `${n(all.p99, 1)} ms (${n(all.count)} answers)` : "-",
    verdict(apiMet),
  ]);

  if (o.usual.length) {
    out.push(
      "**The usual mix** (bench/generate_capture.ts, as section 1) through read + decode + " +
        "engine, alternated with softflowd -r; before: section 1 as it stood before the " +
        "rebuild. Absolute rates move by a third within minutes on this machine; the " +
        "verdict takes the A/B against the round's start when there is one (`deno task " +
        "bench:ab " + BEFORE.commit + " HEAD`, below the table), else the ratio to softflowd " +
        "measured in the same run.",
      "",
      table(
        ["file", "before packets/s", "before x softflowd", "now packets/s", "now x softflowd"],
        o.usual.map((u) => {
          const before = BEFORE.usual.get(u.flows);
          return [
            `${n(u.packets)} packets, ${n(u.flows)} flows`,
            before ? n(before.pps) : "-",
            before ? n(before.ratio, 2) : "-",
            n(u.engine.packetsPerSecond),
            n(ratio(u.engine, u.softflowd), 2),
          ];
        }),
      ),
      "",
    );
    const softflowdKept = o.usual.every((u) => {
      const before = BEFORE.usual.get(u.flows);
      const r = ratio(u.engine, u.softflowd);
      return !before || !Number.isFinite(r) || r >= before.ratio * 0.95;
    });
    const abRatios = ["usual5k", "usual500k"].map((file) => abRatio(ab, BEFORE.commit, file));
    // The A/B decides when it measured both files against the round's start.
    const byAb = abRatios.every((r) => r !== undefined) ? ab : undefined;
    const kept = byAb ? abRatios.every((r) => r! >= AB_NOISE) : softflowdKept;
    const softflowdCell = o.usual.map((u) => `${n(ratio(u.engine, u.softflowd), 2)}x`).join(" / ");
    if (byAb) {
      const last = byAb.trees[byAb.trees.length - 1];
      out.push(
        `A/B against ${BEFORE.commit} (\`deno task bench:ab\`, ${byAb.at}, median of ` +
          `${byAb.rounds} alternated rounds, ${last.rev} = ${last.sha}): 5,000 flows ` +
          `${n(abRatios[0]!, 2)}x, 500,000 flows ${n(abRatios[1]!, 2)}x; no slower means at ` +
          `least ${AB_NOISE}x (2% for noise, less than one tree's own spread here).`,
        "",
      );
    }
    if (!kept) out.push(USUAL_MIX_MISS, "");
    summary.push([
      byAb
        ? `Usual mix no slower than ${BEFORE.commit} (A/B, 5k / 500k flows)`
        : "Usual mix no slower (x softflowd, 5k / 500k flows)",
      byAb
        ? `${abRatios.map((r) => `${n(r!, 2)}x`).join(" / ")} (${softflowdCell} softflowd)`
        : softflowdCell,
      verdict(kept),
    ]);
  }
}

function liveRow(r: FloodLiveRun): string[] {
  const all = r.api.find((a) => a.name === "all");
  return [
    String(r.workers),
    r.probed ? "yes" : "no",
    n(r.sent),
    n(r.sentPps),
    n(r.captured),
    n(r.dropped),
    n(r.aggregated),
    n(r.cpuPercent, 1),
    r.probed && all ? `${n(all.p50, 1)} / ${n(all.p99, 1)} / ${n(all.max, 1)}` : "-",
    r.probed ? n(r.longestGapMs) : "-",
  ];
}

function livePart(
  l: FloodLiveResult,
  o: FloodOfflineResult | undefined,
  out: string[],
  summary: string[][],
): void {
  out.push(
    `**Live**: trafgen sends ${n(l.packets)} TCP SYNs per run at its top speed, each from a ` +
      "random source address and port, across a veth to a MAC nobody owns, while `netwatch " +
      "serve -i` captures the receiving end with 1 and then 2 workers (PACKET_FANOUT, hash). " +
      "Each worker count floods twice: with the API left alone, then with a client in the " +
      `namespace asking /stats, /talkers and /flows in turn every ${l.probeIntervalMs} ms ` +
      "(queries run on the capture workers, so what answering costs shows as the difference). " +
      "CPU is the whole process over the send, from /proc, as a share of one core. trafgen " +
      `alone, nothing capturing: ${n(l.generatorPps)} pps.`,
    "",
    table(
      [
        "workers",
        "API probed",
        "sent",
        "sent pps",
        "accounted",
        "dropped",
        "aggregated",
        "CPU %",
        "API p50 / p99 / max ms",
        "longest wait ms",
      ],
      l.runs.map(liveRow),
    ),
    "",
    `Before the rebuild: ${BEFORE.liveQuiet}; ${BEFORE.liveLoaded}.`,
    "",
  );
  const probed = l.runs.filter((r) => r.probed);
  if (probed.length === 0) {
    summary.push(["API p99 < 100 ms during the live flood", "-", verdict(undefined)]);
  }
  // One row per worker count: on this 2-core machine 1 is the default, and 2 workers share the
  // cores with trafgen and the kernel, so both are shown rather than the worse of the two.
  for (const r of probed) {
    const p99 = r.api.find((a) => a.name === "all")?.p99 ?? NaN;
    summary.push([
      `API p99 < 100 ms during the live flood, ${r.workers} worker${r.workers > 1 ? "s" : ""}`,
      `${n(p99, 1)} ms; ${n(r.sentPps)} pps sent, ${n(r.dropped)} dropped`,
      verdict(Number.isFinite(p99) ? p99 < 100 : undefined),
    ]);
  }
  if (o) {
    out.push(
      "Projection for a 16-core machine (not measured): the default is 8 workers (half the " +
        "cores). A random-source flood hashes evenly across them, so if the kernel's receive " +
        "path keeps up on the other cores, 8 workers at the in-process engine's one-core rate " +
        `above give about ${mpps(8 * o.engine.packetsPerSecond)}. Here 2 workers share 2 ` +
        "cores with trafgen and the kernel, so 1 against 2 workers is no measure of scaling.",
      "",
    );
  }
  if (l.runs.some((r) => r.workers > 1)) out.push(LIVE_WORKERS_NOTE, "");
}

/** Writes the Flood section (and its summary rows) from the latest `--only flood` run. */
export function floodSection(
  f: FloodResults | undefined,
  out: string[],
  summary: string[][],
  ab?: AbResults,
): void {
  out.push("## 7. Flood", "");
  if (!f || (!f.offline && !f.live)) {
    out.push("Not measured yet: `deno task bench -- --only flood` (root, for the live part).", "");
    summary.push(["Flood through serve >= 1.5 Mpps and >= 4x softflowd", "-", "not measured"]);
    return;
  }
  const offlineAt = f.offline ? (f.offlineAt ?? f.at) : undefined;
  const liveAt = f.live ? (f.liveAt ?? f.at) : undefined;
  const when = offlineAt && liveAt && offlineAt !== liveAt
    ? `offline ${offlineAt}, live ${liveAt}`
    : offlineAt ?? liveAt;
  out.push(
    `Measured ${when} (bench/flood.ts, bench/flood_live.ts). The worst traffic for a flow ` +
      "monitor: every SYN a new flow and a new host (bench/generate_flood.ts).",
    "",
  );
  if (f.offline) offlinePart(f.offline, ab, out, summary);
  if (f.live) livePart(f.live, f.offline, out, summary);
}
