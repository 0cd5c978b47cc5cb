// Probes Netwatch's API in a loop and times every answer: the flood benchmark's "never dark".
//
// One client asks /stats, /talkers and a /flows page in turn, as fast as answers come (or a
// round every so often), and
// keeps each answer's start time, latency, status and (for /stats) the packet count, so the
// caller can keep the answers that fell within a window (the replay, the flood). Run as a
// script (`deno run -A bench/api_probe.ts --base=http://127.0.0.1:PORT [--interval-ms=N]`) it
// probes until its
// stdin closes and prints the samples as JSON: the live benchmark starts it inside the
// namespace where Netwatch listens on loopback.

import { parseArgs } from "node:util";
import { percentile } from "./stats.ts";

/** The requests probed, in turn, by name. */
export const PROBES: readonly { name: string; path: string }[] = [
  { name: "/stats", path: "/api/v1/stats" },
  { name: "/talkers", path: "/api/v1/talkers?window=1m&limit=10" },
  { name: "/flows", path: "/api/v1/flows?limit=50" },
];

/** One answer. */
export interface ProbeSample {
  name: string;
  /** Epoch milliseconds the request was sent. */
  at: number;
  ms: number;
  status: number;
  /** /stats: capture.packets in the answer. */
  packets?: number;
}

/** Latency of one request over a window, in milliseconds. */
export interface LatencyFigures {
  name: string;
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers that were not 200. */
  failed: number;
}

/**
 * Probes `base` until `stop()` says so, pushing every answer onto `samples`: a round of every
 * request, then the next round `intervalMs` after this one started (0: at once).
 */
export async function probeLoop(
  base: string,
  stop: () => boolean,
  samples: ProbeSample[],
  intervalMs = 0,
): Promise<void> {
  while (!stop()) {
    const round = Date.now();
    for (const probe of PROBES) {
      const at = Date.now();
      const started = performance.now();
      let status = 0;
      let packets: number | undefined;
      try {
        const response = await fetch(`${base}${probe.path}`);
        status = response.status;
        const body = await response.json();
        if (probe.name === "/stats") packets = body.capture?.packets;
      } catch {
        status = 0; // refused or reset: counted as failed
      }
      samples.push({ name: probe.name, at, ms: performance.now() - started, status, packets });
      if (stop()) return;
    }
    const wait = round + intervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Latency per request and over all of them, for samples sent within [from, to] (epoch ms). */
export function latencyFigures(samples: ProbeSample[], from: number, to: number): LatencyFigures[] {
  const within = samples.filter((s) => s.at >= from && s.at <= to);
  const figures = (name: string, list: ProbeSample[]): LatencyFigures => {
    const ms = list.map((s) => s.ms).sort((a, b) => a - b);
    return {
      name,
      count: list.length,
      p50: percentile(ms, 0.5),
      p99: percentile(ms, 0.99),
      max: ms.length ? ms[ms.length - 1] : NaN,
      failed: list.filter((s) => s.status !== 200).length,
    };
  };
  return [
    ...PROBES.map((p) => figures(p.name, within.filter((s) => s.name === p.name))),
    figures("all", within),
  ];
}

/** The longest time (ms) between consecutive answers sent within [from, to]. */
export function longestGapMs(samples: ProbeSample[], from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const s of samples) {
    if (s.at < from || s.at > to) continue;
    const done = s.at + s.ms;
    gap = Math.max(gap, done - last);
    last = done;
  }
  return Math.max(gap, to - last);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { base: { type: "string" }, "interval-ms": { type: "string", default: "0" } },
  });
  if (!values.base) {
    console.error("api_probe: --base=http://HOST:PORT is required");
    Deno.exit(2);
  }
  let closed = false;
  // Until the parent closes stdin: reading it to the end is the stop signal.
  (async () => {
    for await (const _ of Deno.stdin.readable) {
      // nothing is sent; only the end matters
    }
    closed = true;
  })();
  const samples: ProbeSample[] = [];
  console.error("api_probe: probing");
  await probeLoop(values.base, () => closed, samples, Number(values["interval-ms"]));
  console.log(JSON.stringify(samples));
}
