// Soak: steady traffic for a long time with flows and hosts churning past the tables' capacity.
// Records Netwatch's RSS, flows, evictions and drops every 10 s; the RSS must reach a plateau.
//
// Run (root): deno run -A bench/soak.ts [--minutes 30] [--rate 20000]
// Every packet comes from a random IPv4 source and port to a random port, so nearly every packet
// opens a new flow and most a new host. The frames go to a MAC nobody owns: the receiving kernel
// drops them, while Netwatch (promiscuous) sees them all.

import { parseArgs } from "node:util";
import { createTestLink, requireCommands, sh } from "../tests/helpers/netns.ts";
import { getJsonIn, startServeIn } from "../tests/helpers/live.ts";
import { killAll } from "../tests/helpers/process.ts";
import type { StatsResponse } from "../server/wire.ts";
import { svgLineChart } from "./svg_plot.ts";

const PORT = 7520;
const SAMPLE_MS = 10_000;

export interface SoakSample {
  minute: number;
  rssMiB: number;
  activeFlows: number;
  flowCapacity: number;
  evictedFlows: number;
  hosts: number;
  evictedHosts: number;
  packets: number;
  received: number;
  droppedKernel: number;
  cpuPercent: number;
}

export interface SoakResult {
  minutes: number;
  rate: number;
  samples: SoakSample[];
}

function cpuSeconds(stat: string): number {
  // Fields after the command name: utime is the 14th field, stime the 15th (clock ticks).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the soak and returns its samples. */
export async function soak(minutes: number, rate: number): Promise<SoakResult> {
  await requireCommands(["ip", "curl", "trafgen"]);
  const link = await createTestLink();
  const children: Deno.ChildProcess[] = [];
  const config = await Deno.makeTempFile({ suffix: ".trafgen" });
  try {
    const { child: netwatch } = await startServeIn(link, link.b, PORT);
    children.push(netwatch);
    await Deno.writeTextFile(
      config,
      `{ eth(da=02:00:00:00:00:99, sa=02:00:00:00:00:01), ` +
        `ipv4(saddr=drnd(), daddr=${link.b.ipv4}), udp(sport=drnd(), dport=drnd()), fill(0x41, 18) }\n`,
    );
    const trafgen = link.spawn(link.a, [
      "trafgen",
      "-o",
      link.a.dev,
      "-i",
      config,
      "-b",
      `${rate}pps`,
      "-P",
      "1",
      "-q",
    ], { stdout: "null", stderr: "null" });
    children.push(trafgen);

    const samples: SoakSample[] = [];
    const started = Date.now();
    let lastCpu = 0;
    let lastAt = started;
    while (Date.now() - started < minutes * 60_000) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const stats = await getJsonIn<StatsResponse>(link, link.b, PORT, "/api/v1/stats");
      const cpu = cpuSeconds(await sh(["cat", `/proc/${netwatch.pid}/stat`]));
      const now = Date.now();
      const sample: SoakSample = {
        minute: (now - started) / 60_000,
        rssMiB: stats.memory.rss_bytes / 1048576,
        activeFlows: stats.flows.active,
        flowCapacity: stats.flows.capacity,
        evictedFlows: stats.flows.evicted,
        hosts: stats.hosts.count,
        evictedHosts: stats.hosts.evicted,
        packets: stats.capture.packets,
        received: stats.capture.received ?? 0,
        droppedKernel: stats.capture.dropped_kernel,
        cpuPercent: (100 * (cpu - lastCpu)) / ((now - lastAt) / 1000),
      };
      lastCpu = cpu;
      lastAt = now;
      samples.push(sample);
      console.log(
        `${sample.minute.toFixed(1).padStart(5)} min  rss ${sample.rssMiB.toFixed(0)} MiB  ` +
          `flows ${sample.activeFlows}/${sample.flowCapacity}  evicted ${sample.evictedFlows}  ` +
          `hosts ${sample.hosts} (evicted ${sample.evictedHosts})  packets ${sample.packets}  ` +
          `dropped ${sample.droppedKernel}  cpu ${sample.cpuPercent.toFixed(1)}%`,
      );
    }
    return { minutes, rate, samples };
  } finally {
    killAll(children);
    await link.destroy();
    await Deno.remove(config).catch(() => {});
  }
}

/** The RSS curve as an SVG chart. */
export function soakChart(result: SoakResult): string {
  return svgLineChart({
    title: `Soak: RSS while flows churn (${result.rate.toLocaleString("en-US")} new flows/s)`,
    xLabel: "minutes",
    yLabel: "MiB",
    x: result.samples.map((s) => s.minute),
    series: [{ name: "RSS (MiB)", values: result.samples.map((s) => s.rssMiB) }],
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string", default: "30" },
      rate: { type: "string", default: "20000" },
    },
  });
  const result = await soak(Number(values.minutes), Number(values.rate));
  const out = new URL("./out/", import.meta.url).pathname;
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}soak.json`, JSON.stringify(result, null, 2));
  await Deno.writeTextFile(`${out}soak.svg`, soakChart(result));
  console.log(`soak: wrote ${out}soak.json and ${out}soak.svg`);
}
