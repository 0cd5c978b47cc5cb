// Live capture benchmarks: trafgen's limit, the highest zero-drop rate and CPU at 100 kpps.
//
// Run (root): deno run -A bench/live.ts. Two namespaces joined by veth (tests/helpers/netns.ts);
// UDP frames in 5,000 flows go from one end to a MAC nobody owns, so the receiving kernel drops
// them while a promiscuous capture sees them all. Each tool captures the same traffic in turn:
// Netwatch, darkstat and softflowd, each with its own defaults.
//
// Two senders, because they pace differently (measured with tcpdump on the receiving end):
// trafgen's -b sends each second's packets in one burst at its top speed (81,274 full-size
// frames in the first 80 ms of each second: 12 Gbps, which no 1 GbE link delivers), while
// tcpreplay --pps spaces them evenly (4,064 in every 50 ms). The zero-drop ladder uses trafgen,
// whose bursts are the harder test and whose top speed is the flood; the typical load and 1 Gbps
// of full-size frames use tcpreplay, as a real link carries them, and 1 Gbps is also sent as
// trafgen's bursts.

import { createTestLink, requireCommands, type TestLink } from "../tests/helpers/netns.ts";
import { PcapWriter } from "../tests/helpers/pcap_file.ts";
import { freePort } from "../tests/helpers/serve.ts";
import {
  cpuSeconds,
  type RunningTool,
  startTool,
  TOOL_NAMES,
  type ToolName,
} from "./live_tools.ts";
import { median } from "./stats.ts";

/** Flows in the generated traffic (UDP source ports 1024-6023). */
export const LIVE_FLOWS = 5000;

/** One rate step of one tool. */
export interface LiveStep {
  tool: ToolName;
  /** Rate asked of trafgen, packets/s; 0 = as fast as it can. */
  asked: number;
  /** Packets trafgen sent (veth tx counter) and the rate that took. */
  sent: number;
  sentPps: number;
  captured: number;
  dropped: number;
  /** Tool CPU, percent of one core, over the step (the typical run: the median run's). */
  cpuPercent: number;
  /** The typical run only: CPU of each of its runs, in the order they ran. */
  cpuRuns?: number[];
  /** No drop and nothing missing. */
  zeroDrop: boolean;
}

export interface LiveResult {
  /** trafgen alone, as fast as it goes, nothing capturing: packets/s (median of runs). */
  generatorPps: number;
  steps: LiveStep[];
  /** 100 kpps for `typicalSeconds`, per tool. */
  typical: LiveStep[];
  typicalSeconds: number;
  stepSeconds: number;
  /**
   * 1 Gbps of 1,514-byte frames (FULL_SIZE_PPS) for `stepSeconds`, per tool; missing in
   * results measured before it was added. Evenly paced when `paced`, else trafgen's bursts.
   */
  fullSize?: LiveStep[];
  /** The same 1 Gbps as trafgen's one burst a second (measured with `paced` only). */
  fullSizeBursts?: LiveStep[];
  /** The typical load and `fullSize` were paced evenly by tcpreplay (else trafgen's -b). */
  paced?: boolean;
}

/** Rates tried, in order, until a tool first loses packets; 0 is trafgen's top speed. */
const LADDER = [10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 750_000, 1_000_000, 0];

/**
 * 1 Gbps of full-size frames: 1,514 bytes each, plus preamble, FCS and gap (24) on the wire.
 * The ladder's 64-byte frames hide what a full ring of these shows: the kernel copies whole
 * frames into the ring, so 64 MiB holds half a second of them.
 */
export const FULL_SIZE_PPS = Math.round(1e9 / ((1514 + 24) * 8));

/**
 * trafgen's configuration: UDP in 5,000 flows, 64-byte frames (60 on the wire before FCS; 18
 * bytes of payload) or, with `payload` 1472, full-size 1,514-byte ones.
 */
function trafgenConfig(link: TestLink, payload = 18): string {
  return `{ eth(da=02:00:00:00:00:99, sa=02:00:00:00:00:01), ` +
    `ipv4(saddr=${link.a.ipv4}, daddr=${link.b.ipv4}, ttl=64), ` +
    `udp(sport=dinc(1024, ${1024 + LIVE_FLOWS - 1}), dport=5001), fill(0x41, ${payload}) }\n`;
}

/**
 * trafgenConfig()'s flows as a pcap of one packet each (source ports 1024 to 6023 in turn),
 * for tcpreplay to loop over.
 */
export function writeFlowsPcap(path: string, link: TestLink, payload = 18): void {
  const frame = new Uint8Array(42 + payload).fill(0x41);
  const view = new DataView(frame.buffer);
  frame.set([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 1]);
  view.setUint16(12, 0x0800);
  frame.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0], 14);
  view.setUint16(16, 28 + payload);
  frame.set(link.a.ipv4.split(".").map(Number), 26);
  frame.set(link.b.ipv4.split(".").map(Number), 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += view.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(24, ~sum & 0xffff);
  view.setUint16(36, 5001);
  view.setUint16(38, 8 + payload);
  const writer = new PcapWriter(path, 1);
  for (let i = 0; i < LIVE_FLOWS; i++) {
    view.setUint16(34, 1024 + i);
    writer.write(0, i, frame);
  }
  writer.close();
}

/**
 * Sends `pcap` (writeFlowsPcap()) evenly spaced at `pps` for about `seconds` with tcpreplay,
 * looping over it. Returns packets sent (by the veth counter) and the seconds it took.
 */
export async function replayTraffic(
  link: TestLink,
  pcap: string,
  pps: number,
  seconds: number,
): Promise<{ sent: number; seconds: number }> {
  const loops = Math.max(1, Math.round((pps * seconds) / LIVE_FLOWS));
  return await timedSend(link, [
    "tcpreplay",
    "-q",
    "-i",
    link.a.dev,
    `--pps=${pps}`,
    `--loop=${loops}`,
    pcap,
  ]);
}

/**
 * Runs the sender `args` in the link's first namespace until it exits; packets sent (by the
 * veth counter) and the seconds it took. Throws with its stderr when it fails.
 */
async function timedSend(
  link: TestLink,
  args: string[],
): Promise<{ sent: number; seconds: number }> {
  const before = await txPackets(link);
  const started = performance.now();
  const status = await link.spawn(link.a, args, { stdout: "null", stderr: "piped" }).output();
  const elapsed = (performance.now() - started) / 1000;
  if (!status.success) {
    throw new Error(`${args[0]} failed: ${new TextDecoder().decode(status.stderr).trim()}`);
  }
  return { sent: (await txPackets(link)) - before, seconds: elapsed };
}

async function txPackets(link: TestLink): Promise<number> {
  const text = await link.run(link.a, [
    "cat",
    `/sys/class/net/${link.a.dev}/statistics/tx_packets`,
  ]);
  return Number(text.trim());
}

/** Packets a top-speed send asks for per second it should last (above trafgen's limit here). */
const TOP_SPEED_PPS = 1_500_000;

/**
 * Sends with trafgen at `pps` (0: top speed) for about `seconds`: trafgen is asked for
 * pps * seconds packets (TOP_SPEED_PPS * seconds at top speed) and exits when they are sent.
 * (Signals are no way to stop it: `-P 1` forks a worker that a signal to the parent misses.)
 * Returns packets sent (by the veth counter) and the seconds it took.
 */
export async function sendTraffic(
  link: TestLink,
  config: string,
  pps: number,
  seconds: number,
  /** Packets to send instead of the count above. */
  packets?: number,
): Promise<{ sent: number; seconds: number }> {
  const args = ["trafgen", "-o", link.a.dev, "-i", config, "-P", "1", "-q"];
  if (pps > 0) args.push("-b", `${pps}pps`);
  args.push("-n", String(packets ?? Math.round((pps || TOP_SPEED_PPS) * seconds)));
  return await timedSend(link, args);
}

/** What sends a step's traffic: a trafgen configuration, or a pcap tcpreplay paces. */
type Traffic = { trafgen: string } | { replay: string };

/** Sends at `pps` while `tool` captures; reads its counters and CPU around the send. */
async function step(
  link: TestLink,
  traffic: Traffic,
  tool: RunningTool,
  pps: number,
  seconds: number,
): Promise<LiveStep> {
  const before = await tool.counters();
  const cpu0 = cpuSeconds(tool.pid);
  const t0 = performance.now();
  const sent = "trafgen" in traffic
    ? await sendTraffic(link, traffic.trafgen, pps, seconds)
    : await replayTraffic(link, traffic.replay, pps, seconds);
  // Let the tool drain its buffers (Netwatch flushes partial batches within 50 ms).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const cpu1 = cpuSeconds(tool.pid);
  const elapsed = (performance.now() - t0) / 1000;
  const after = await tool.counters();
  const captured = after.captured - before.captured;
  const dropped = after.dropped - before.dropped;
  return {
    tool: tool.name as ToolName,
    asked: pps,
    sent: sent.sent,
    sentPps: sent.sent / sent.seconds,
    captured,
    dropped,
    cpuPercent: (100 * (cpu1 - cpu0)) / elapsed,
    zeroDrop: dropped === 0 && captured >= sent.sent,
  };
}

/**
 * Kills whatever still runs in the link's namespaces (a trafgen worker left by an error), so
 * that nothing keeps sending or keeps a deleted namespace alive.
 */
export async function killNamespaceProcesses(link: TestLink): Promise<void> {
  for (const host of [link.a, link.b]) {
    const out = await new Deno.Command("ip", {
      args: ["netns", "pids", host.ns],
      stdout: "piped",
      stderr: "null",
    }).output();
    for (const pid of new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
}

/** Runs the live benchmarks (needs root, trafgen, tcpreplay, darkstat, softflowd, curl). */
export async function benchLive(options: {
  stepSeconds?: number;
  typicalSeconds?: number;
  /** Runs of the typical load per tool; the median run is reported (default 3). */
  typicalRuns?: number;
  tools?: readonly ToolName[];
  /** Run the zero-drop ladder (true) and/or the 100 kpps CPU run (true). */
  ladder?: boolean;
  typical?: boolean;
  /** Rates of the ladder (default LADDER) and of the typical run (default 100 kpps). */
  rates?: readonly number[];
  typicalPps?: number;
  /** Measure trafgen alone at top speed (default true). */
  generator?: boolean;
  /** Run 1 Gbps of full-size frames through each tool (default true). */
  fullSize?: boolean;
  log?: (line: string) => void;
} = {}): Promise<LiveResult> {
  const stepSeconds = options.stepSeconds ?? 10;
  const typicalSeconds = options.typicalSeconds ?? 30;
  const tools = options.tools ?? TOOL_NAMES;
  const log = options.log ?? ((line: string) => console.error(line));
  await requireCommands(["ip", "curl", "trafgen", "tcpreplay", "darkstat", "softflowd"]);
  const link = await createTestLink();
  const config = await Deno.makeTempFile({ suffix: ".trafgen" });
  const bigConfig = await Deno.makeTempFile({ suffix: ".trafgen" });
  const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
  const bigPcap = await Deno.makeTempFile({ suffix: ".pcap" });
  const small = { trafgen: config };
  const steps: LiveStep[] = [];
  const typical: LiveStep[] = [];
  const fullSize: LiveStep[] = [];
  const fullSizeBursts: LiveStep[] = [];
  let generatorPps = 0;
  try {
    await Deno.writeTextFile(config, trafgenConfig(link));
    await Deno.writeTextFile(bigConfig, trafgenConfig(link, 1472));
    writeFlowsPcap(pcap, link);
    writeFlowsPcap(bigPcap, link, 1472);
    const limits: number[] = [];
    for (let r = 0; r < (options.generator === false ? 0 : 3); r++) {
      const run = await sendTraffic(link, config, 0, 5);
      limits.push(run.sent / run.seconds);
    }
    generatorPps = limits.length ? median(limits) : 0;
    log(`live: trafgen alone: ${Math.round(generatorPps)} pps (median of 3 x 5 s)`);
    for (const name of tools) {
      const tool = await startTool(name, link, link.b, freePort());
      try {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (options.typical !== false) {
          const runs: LiveStep[] = [];
          for (let r = 0; r < (options.typicalRuns ?? 3); r++) {
            runs.push(
              await step(
                link,
                { replay: pcap },
                tool,
                options.typicalPps ?? 100_000,
                typicalSeconds,
              ),
            );
          }
          const cpuRuns = runs.map((t) => t.cpuPercent);
          const middle = [...runs].sort((a, b) => a.cpuPercent - b.cpuPercent)[runs.length >> 1];
          const t = { ...middle, cpuRuns };
          typical.push(t);
          log(
            `live: ${name} at ${t.asked} pps for ${typicalSeconds} s, ${runs.length} runs: cpu ${
              cpuRuns.map((c) => c.toFixed(1)).join(", ")
            }% (median ${t.cpuPercent.toFixed(1)}%)`,
          );
        }
        if (options.fullSize !== false) {
          for (
            const [traffic, into, how] of [
              [{ replay: bigPcap }, fullSize, "evenly paced"],
              [{ trafgen: bigConfig }, fullSizeBursts, "in bursts"],
            ] as const
          ) {
            const s = await step(link, traffic, tool, FULL_SIZE_PPS, stepSeconds);
            into.push(s);
            log(
              `live: ${name} 1 Gbps of 1,514-byte frames ${how}, sent ${
                Math.round(s.sentPps)
              } pps: captured ${s.captured}/${s.sent} dropped ${s.dropped} cpu ${
                s.cpuPercent.toFixed(1)
              }%`,
            );
          }
        }
        if (options.ladder !== false) {
          for (const pps of options.rates ?? LADDER) {
            const s = await step(link, small, tool, pps, stepSeconds);
            steps.push(s);
            log(
              `live: ${name} asked ${pps || "max"} sent ${Math.round(s.sentPps)} pps: ` +
                `captured ${s.captured}/${s.sent} dropped ${s.dropped} cpu ${
                  s.cpuPercent.toFixed(1)
                }%`,
            );
            if (!s.zeroDrop) break;
          }
        }
      } finally {
        await tool.stop();
      }
    }
  } finally {
    await killNamespaceProcesses(link);
    await link.destroy();
    await Deno.remove(config).catch(() => {});
    await Deno.remove(bigConfig).catch(() => {});
    await Deno.remove(pcap).catch(() => {});
    await Deno.remove(bigPcap).catch(() => {});
  }
  return {
    generatorPps,
    steps,
    typical,
    typicalSeconds,
    stepSeconds,
    fullSize,
    fullSizeBursts,
    paced: true,
  };
}

/** The highest zero-drop step of `tool`, or undefined when even the first lost packets. */
export function zeroDropRate(result: LiveResult, tool: ToolName): LiveStep | undefined {
  let best: LiveStep | undefined;
  for (const s of result.steps) {
    if (s.tool === tool && s.zeroDrop && (!best || s.sentPps > best.sentPps)) best = s;
  }
  return best;
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchLive(), null, 2));
}
