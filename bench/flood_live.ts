// The flood benchmark, live: trafgen sends TCP SYNs from a random source address and port per
// packet, at its top speed for a bounded count, across a veth into the namespace where
// `netwatch serve -i` captures, with 1 and then 2 workers (PACKET_FANOUT).
//
// Recorded per run: packets sent (the veth's counter), accounted and dropped (Netwatch's
// /stats), Netwatch's CPU over the flood (/proc/<pid>/stat, every thread), and the latency of
// /stats, /talkers and a /flows page asked in a loop during the flood by bench/api_probe.ts,
// which runs inside the namespace because Netwatch listens on that namespace's loopback.

import { setTimeout as sleep } from "node:timers/promises";
import { createTestLink, requireCommands, type TestLink } from "../tests/helpers/netns.ts";
import { getJsonIn, startServeIn } from "../tests/helpers/live.ts";
import { freePort } from "../tests/helpers/serve.ts";
import type { StatsResponse } from "../server/wire.ts";
import {
  type LatencyFigures,
  latencyFigures,
  longestGapMs,
  type ProbeSample,
} from "./api_probe.ts";
import { killNamespaceProcesses, sendTraffic } from "./live.ts";
import { cpuSeconds } from "./live_tools.ts";

/** A round of /stats, /talkers and /flows this often during a live flood (a busy dashboard). */
export const PROBE_INTERVAL_MS = 200;

/** One run at one worker count, with the API probed or left alone. */
export interface FloodLiveRun {
  workers: number;
  /** The API was probed during the flood (its queries run on the capture workers). */
  probed: boolean;
  sent: number;
  sentPps: number;
  /** Seconds trafgen took to send. */
  seconds: number;
  /** Packets Netwatch accounted and the kernel (or interface) dropped, over the run. */
  captured: number;
  dropped: number;
  /** One-packet flows folded into aggregate records over the run. */
  aggregated: number;
  /** Netwatch's CPU while trafgen sent, percent of one core (every thread). */
  cpuPercent: number;
  /** API latency of the answers asked while trafgen sent. */
  api: LatencyFigures[];
  /** Longest wait for any answer while trafgen sent (ms). */
  longestGapMs: number;
}

export interface FloodLiveResult {
  /** trafgen alone with this configuration, nothing capturing (packets/s). */
  generatorPps: number;
  /** Packets asked of trafgen per run. */
  packets: number;
  /** How often a round of API requests started (ms; 0: back to back). */
  probeIntervalMs: number;
  runs: FloodLiveRun[];
}

/**
 * trafgen's configuration, byte by byte: a 60-byte frame (64 with the FCS) to a MAC nobody
 * owns, so the receiving kernel drops it after the capture has seen it; IPv4 with a random
 * source address, TCP SYN from a random port to port 80 of the receiving end.
 */
export function synFloodConfig(link: TestLink): string {
  const daddr = link.b.ipv4.split(".").join(", ");
  return [
    "{",
    "  0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, const16(0x0800),",
    "  0x45, 0x00, const16(40), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),",
    `  drnd(4), ${daddr},`,
    "  drnd(2), const16(80), drnd(4), const32(0), const16(0x5002), const16(65535),",
    "  csumtcp(14, 34), const16(0),",
    "  0, 0, 0, 0, 0, 0",
    "}",
    "",
  ].join("\n");
}

/** One flood while `serve -i --workers N` captures; `intervalMs` < 0: the API is not probed. */
async function floodRun(
  link: TestLink,
  config: string,
  workers: number,
  packets: number,
  intervalMs: number,
): Promise<FloodLiveRun> {
  const port = freePort();
  const { child } = await startServeIn(link, link.b, port, ["--workers", String(workers)]);
  const stats = () => getJsonIn<StatsResponse>(link, link.b, port, "/api/v1/stats");
  try {
    await sleep(1000);
    const before = await stats();
    const probed = intervalMs >= 0;
    const probe = !probed ? undefined : link.spawn(link.b, [
      Deno.execPath(),
      "run",
      "-A",
      new URL("./api_probe.ts", import.meta.url).pathname,
      `--base=http://127.0.0.1:${port}`,
      `--interval-ms=${intervalMs}`,
    ], { stdin: "piped", stdout: "piped", stderr: "null" });
    const output = probe?.output();
    await sleep(1000); // the probe's start-up
    const cpu0 = cpuSeconds(child.pid);
    const from = Date.now();
    const sent = await sendTraffic(link, config, 0, 0, packets);
    const to = Date.now();
    const cpu1 = cpuSeconds(child.pid);
    await sleep(2000); // what is left in the kernel's buffer, and a status message
    let samples: ProbeSample[] = [];
    if (probe && output) {
      await probe.stdin.close();
      const out = await output;
      if (!out.success) throw new Error(`api_probe failed with ${out.code}`);
      samples = JSON.parse(new TextDecoder().decode(out.stdout));
    }
    const after = await stats();
    const drops = (s: StatsResponse) => s.capture.dropped_kernel + s.capture.dropped_interface;
    return {
      workers,
      probed,
      sent: sent.sent,
      sentPps: sent.sent / sent.seconds,
      seconds: sent.seconds,
      captured: after.capture.packets - before.capture.packets,
      dropped: drops(after) - drops(before),
      aggregated: after.flows.aggregated - before.flows.aggregated,
      cpuPercent: (100 * (cpu1 - cpu0)) / ((to - from) / 1000),
      api: latencyFigures(samples, from, to),
      longestGapMs: probed ? longestGapMs(samples, from, to) : NaN,
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
  }
}

/** Runs the live flood (root, trafgen): the generator alone, then 1 and 2 workers. */
export async function benchFloodLive(options: {
  /** Packets per flood (default 15,000,000, as issue 13 measured before). */
  packets?: number;
  workers?: number[];
  /**
   * A round of API requests starts this often (ms; 0: back to back). The queries run on the
   * capture worker's thread, so the probe's own load is part of what is measured.
   */
  probeIntervalMs?: number;
  /** Also flood with the API left alone, before each probed run (default true). */
  quiet?: boolean;
  log?: (line: string) => void;
} = {}): Promise<FloodLiveResult> {
  const packets = options.packets ?? 15_000_000;
  const probeIntervalMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
  const log = options.log ?? ((line: string) => console.error(line));
  await requireCommands(["ip", "curl", "trafgen"]);
  const link = await createTestLink();
  const config = await Deno.makeTempFile({ suffix: ".trafgen" });
  try {
    await Deno.writeTextFile(config, synFloodConfig(link));
    const alone = await sendTraffic(link, config, 0, 0, Math.min(packets, 3_000_000));
    const generatorPps = alone.sent / alone.seconds;
    log(`flood live: trafgen alone: ${Math.round(generatorPps)} pps`);
    const runs: FloodLiveRun[] = [];
    for (const workers of options.workers ?? [1, 2]) {
      // Alone first, then with the API probed: the difference is what answering costs.
      for (const interval of options.quiet === false ? [probeIntervalMs] : [-1, probeIntervalMs]) {
        const run = await floodRun(link, config, workers, packets, interval);
        const all = run.api.find((a) => a.name === "all")!;
        log(
          `flood live: ${workers} worker(s)${run.probed ? ", API probed" : ""}: sent ${run.sent} ` +
            `at ${Math.round(run.sentPps)} pps, captured ${run.captured}, dropped ` +
            `${run.dropped}, cpu ${run.cpuPercent.toFixed(1)}%` +
            (run.probed
              ? `, API ${all.count} answers, p99 ${all.p99.toFixed(1)} ms, longest wait ` +
                `${run.longestGapMs.toFixed(0)} ms`
              : ""),
        );
        runs.push(run);
      }
    }
    return { generatorPps, packets, probeIntervalMs, runs };
  } finally {
    await killNamespaceProcesses(link);
    await link.destroy();
    await Deno.remove(config).catch(() => {});
  }
}
