// The flood benchmark, offline: the worst traffic (bench/generate_flood.ts) through the whole
// `serve` pipeline beside softflowd, the API's latency during the replay, and the usual mix.
//
// serve: `netwatch serve --read FLOOD --speed max` is timed from its first /stats answer to the
// /stats that reports every packet (polled every POLL_MS; /stats itself is at most 100 ms
// behind the engine). softflowd -r reads the same file, at its default table size and at
// Netwatch's; the in-process figure is read + decode + engine as `report` runs it. Tools
// alternate run by run, so the machine's drift falls on all of them alike; figures are medians.
// The API is probed continuously in separate replays (bench/api_probe.ts).

import { setTimeout as sleep } from "node:timers/promises";
import { generateCapture } from "./generate_capture.ts";
import { generateFlood } from "./generate_flood.ts";
import {
  type LatencyFigures,
  latencyFigures,
  longestGapMs,
  probeLoop,
  type ProbeSample,
} from "./api_probe.ts";
import { hasCommand, readAndEngine, timeSoftflowd } from "./offline.ts";
import { median } from "./stats.ts";
import { type ServeProcess, startServe } from "../tests/helpers/serve.ts";

/** How often the timed replay polls /stats. */
const POLL_MS = 10;
/** softflowd's own default table size (-m), and Netwatch's default active flows. */
export const SOFTFLOWD_DEFAULT_FLOWS = 8192;
const NETWATCH_FLOWS = 1_000_000;

/** A median time and the rate it gives. */
export interface Timed {
  seconds: number;
  packetsPerSecond: number;
  /** Every run's seconds, in the order they ran. */
  runs: number[];
}

/** The usual mix (bench/generate_capture.ts) through the engine, beside softflowd. */
export interface UsualMix {
  packets: number;
  flows: number;
  engine: Timed;
  softflowd?: Timed;
}

export interface FloodOfflineResult {
  packets: number;
  synPackets: number;
  fileBytes: number;
  runs: number;
  /**
   * serve --speed max, from the first /stats answer to every packet in /stats; the rate is
   * of the packets read in that time (the file less those read before the first answer).
   */
  serve: Timed & { packetsAtFirstAnswer: number };
  /** The same with --no-history: what writing history costs the capture (issue 15). */
  serveNoHistory?: Timed & { packetsAtFirstAnswer: number };
  /** Read + decode + flow engine in this process, as `report --flows` runs it. */
  engine: Timed;
  /** softflowd -r at its default -m (8192) and at -m 1,000,000. */
  softflowd?: Timed;
  softflowdLarge?: Timed;
  /** API latency during replays probed continuously, per request and over all. */
  api: LatencyFigures[];
  apiRuns: number;
  /** Longest wait for any answer during those replays (ms), and their median length (s). */
  apiLongestGapMs: number;
  apiReplaySeconds: number;
  /** After the replay: the server then the five heavy hosts, with their exact bytes. */
  talkersExact: boolean;
  talkersNote: string;
  usual: UsualMix[];
}

function timed(packets: number, runs: number[]): Timed {
  const seconds = median(runs);
  return { seconds, packetsPerSecond: packets / seconds, runs };
}

async function stats(server: ServeProcess) {
  return await (await fetch(`${server.base}/api/v1/stats`)).json();
}

/** One timed replay: seconds from the first /stats answer until /stats has every packet. */
async function timeServe(path: string, packets: number, extra: string[] = []) {
  const server = await startServe({ file: path, timeoutMs: 60_000, extra });
  try {
    const first = await stats(server);
    const started = performance.now();
    for (;;) {
      const s = await stats(server);
      if (s.capture.packets >= packets) break;
      if (s.capture.state === "error") throw new Error(`serve failed: ${s.capture.error?.message}`);
      await sleep(POLL_MS);
    }
    return { seconds: (performance.now() - started) / 1000, atFirst: first.capture.packets };
  } finally {
    await server.stop();
  }
}

/** A replay probed continuously: the answers sent while packets still came in. */
async function probeReplay(path: string, packets: number, heavy: Map<string, number>) {
  const server = await startServe({ file: path, timeoutMs: 60_000 });
  try {
    const samples: ProbeSample[] = [];
    const from = Date.now();
    const all = () => (samples[samples.length - 1]?.packets ?? 0) >= packets;
    await probeLoop(server.base, all, samples);
    // The replay ended at the first /stats that had every packet.
    const end = samples.find((s) => s.packets !== undefined && s.packets >= packets)!.at;
    const talkers = await (await fetch(`${server.base}/api/v1/talkers?window=5m&limit=6`)).json();
    const top = talkers.talkers as { address: string; bytes_sent: number }[];
    const want = [...heavy].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const exact = top[0]?.address === "192.168.0.1" &&
      want.every(([address, bytes], i) =>
        top[i + 1]?.address === address && top[i + 1].bytes_sent === bytes
      );
    const note = top.map((h) => `${h.address} ${h.bytes_sent}`).join(", ");
    return { samples: samples.filter((s) => s.at <= end), from, end, exact, note };
  } finally {
    await server.stop();
  }
}

/** The usual mix at `flows` flows: engine and softflowd, alternated, medians. */
async function usualMix(dir: string, packets: number, flows: number, runs: number, soft: boolean) {
  const path = `${dir}/flood-usual-${packets}-${flows}.pcap`;
  generateCapture(path, { packets, flows });
  try {
    const engine: number[] = [];
    const softflowd: number[] = [];
    readAndEngine(path, packets); // JIT warm-up
    for (let r = 0; r < runs; r++) {
      engine.push(readAndEngine(path, packets).seconds);
      if (soft) softflowd.push((await timeSoftflowd(path, Math.max(8192, flows * 2))).seconds);
    }
    return {
      packets,
      flows,
      engine: timed(packets, engine),
      softflowd: soft ? timed(packets, softflowd) : undefined,
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** Runs the offline flood benchmark. Sizes default to the issue's: a 3M-packet flood. */
export async function benchFloodOffline(options: {
  dir: string;
  packets?: number;
  runs?: number;
  apiRuns?: number;
  /** Packets of each usual-mix file (5,000 and 500,000 flows); 0 leaves them out. */
  usualPackets?: number;
  log?: (line: string) => void;
}): Promise<FloodOfflineResult> {
  const packets = options.packets ?? 3_000_000;
  const runs = options.runs ?? 5;
  const apiRuns = options.apiRuns ?? 3;
  const log = options.log ?? ((line: string) => console.error(line));
  Deno.mkdirSync(options.dir, { recursive: true });
  const path = `${options.dir}/flood-${packets}.pcap`;
  const capture = generateFlood(path, { packets });
  try {
    const soft = await hasCommand("softflowd");
    if (!soft) console.error("bench: softflowd is missing (apt-get install softflowd)");
    const serve: number[] = [];
    const atFirst: number[] = [];
    const serveBare: number[] = [];
    const atFirstBare: number[] = [];
    const engine: number[] = [];
    const sfDefault: number[] = [];
    const sfLarge: number[] = [];
    readAndEngine(path, packets); // JIT warm-up, and the file into the page cache
    for (let r = 0; r < runs; r++) {
      const s = await timeServe(path, packets);
      serve.push(s.seconds);
      atFirst.push(s.atFirst);
      const bare = await timeServe(path, packets, ["--no-history"]);
      serveBare.push(bare.seconds);
      atFirstBare.push(bare.atFirst);
      engine.push(readAndEngine(path, packets).seconds);
      if (soft) {
        sfDefault.push((await timeSoftflowd(path, SOFTFLOWD_DEFAULT_FLOWS)).seconds);
        sfLarge.push((await timeSoftflowd(path, NETWATCH_FLOWS)).seconds);
      }
      log(
        `flood: run ${r + 1}/${runs}: serve ${s.seconds.toFixed(2)} s (${s.atFirst} packets ` +
          `before the first answer), --no-history ${bare.seconds.toFixed(2)} s, engine ${
            engine[r].toFixed(2)
          } s` +
          (soft ? `, softflowd ${sfDefault[r].toFixed(2)} / ${sfLarge[r].toFixed(2)} s` : ""),
      );
    }
    const samples: ProbeSample[] = [];
    let gap = 0;
    const lengths: number[] = [];
    let exact = true;
    let note = "";
    for (let r = 0; r < apiRuns; r++) {
      const p = await probeReplay(path, packets, capture.heavy);
      samples.push(...p.samples);
      gap = Math.max(gap, longestGapMs(p.samples, p.from, p.end));
      lengths.push((p.end - p.from) / 1000);
      exact &&= p.exact;
      if (!p.exact) note = p.note;
      log(`flood: API run ${r + 1}/${apiRuns}: ${p.samples.length} answers during the replay`);
    }
    const usual: UsualMix[] = [];
    for (const flows of options.usualPackets === 0 ? [] : [5_000, 500_000]) {
      const u = await usualMix(options.dir, options.usualPackets ?? 2_000_000, flows, runs, soft);
      log(`flood: usual mix ${flows} flows: engine ${Math.round(u.engine.packetsPerSecond)} pps`);
      usual.push(u);
    }
    return {
      packets,
      synPackets: capture.synPackets,
      fileBytes: Deno.statSync(path).size,
      runs,
      // The rate counts only the packets read after the first answer, which is when the
      // clock started.
      serve: {
        ...timed(packets, serve),
        packetsPerSecond: (packets - median(atFirst)) / median(serve),
        packetsAtFirstAnswer: median(atFirst),
      },
      serveNoHistory: {
        ...timed(packets, serveBare),
        packetsPerSecond: (packets - median(atFirstBare)) / median(serveBare),
        packetsAtFirstAnswer: median(atFirstBare),
      },
      engine: timed(packets, engine),
      softflowd: soft ? timed(packets, sfDefault) : undefined,
      softflowdLarge: soft ? timed(packets, sfLarge) : undefined,
      api: latencyFigures(samples, -Infinity, Infinity),
      apiRuns,
      apiLongestGapMs: gap,
      apiReplaySeconds: median(lengths),
      talkersExact: exact,
      talkersNote: note,
      usual,
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
