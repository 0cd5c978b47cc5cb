// Live stream under load: WebSocket clients at 500 ms while Netwatch captures 500 kpps, and the
// latency from a packet on the wire to the stream message that first shows it.
//
// Run (root): deno run -A bench/stream_bench.ts. trafgen sends in namespace A; `netwatch serve`
// captures in namespace B and listens on B's loopback. The clients cannot reach that loopback
// from here, so a child (this script with --child, started in B) opens them, counts messages,
// reads Netwatch's CPU and /api/v1/stats, and sends the latency markers itself: one UDP packet
// from B to A on a fresh port, whose flow a `flows` subscription filtered on that port reports.
// The marker crosses the veth like any packet and Netwatch captures it on the way out.

import { setTimeout as sleep } from "node:timers/promises";
import dgram from "node:dgram";
import { parseArgs } from "node:util";
import { createTestLink, requireCommands } from "../tests/helpers/netns.ts";
import { freePort } from "../tests/helpers/serve.ts";
import { killNamespaceProcesses, sendTraffic } from "./live.ts";
import { cpuSeconds, startNetwatch } from "./live_tools.ts";
import { percentile } from "./stats.ts";

/** What one run measured. */
export interface StreamRun {
  clients: number;
  seconds: number;
  /** Packets per second trafgen was asked for, and what it sent. */
  askedPps: number;
  sentPps: number;
  capturedPps: number;
  kernelDrops: number;
  /** Server CPU over the window, percent of one core. */
  serverCpuPercent: number;
  /** Data messages per client per second (3 subscriptions at 500 ms: 6 expected). */
  messagesPerClientPerSec: number;
  minMessagesPerClientPerSec: number;
  skippedUpdates: number;
  serverRssMiB: number;
  /** Milliseconds from sending a marker packet to the first message that shows it. */
  latencyMs: number[];
  latencyP50Ms: number;
  latencyP95Ms: number;
}

const SUBSCRIPTIONS = [
  ["r", "rates", {}],
  ["t", "talkers", { limit: 10 }],
  ["f", "flows", { sort: "bytes", limit: 50 }],
] as const;

/** Child, in namespace B: clients, counts, CPU and markers. Prints one JSON object. */
async function childRun(o: {
  port: number;
  pid: number;
  clients: number;
  seconds: number;
  markers: number;
  peer: string;
}) {
  const base = `127.0.0.1:${o.port}/api/v1`;
  const counts = new Array<number>(o.clients).fill(0);
  const sockets: WebSocket[] = [];
  await Promise.all(
    Array.from({ length: o.clients }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`ws://${base}/stream`);
        sockets.push(ws);
        ws.onopen = () => {
          for (const [id, topic, params] of SUBSCRIPTIONS) {
            ws.send(JSON.stringify({ op: "subscribe", id, topic, interval_ms: 500, params }));
          }
          resolve();
        };
        ws.onerror = () => reject(new Error(`client ${i} failed`));
        ws.onmessage = (event) => {
          if ((event.data as string).startsWith('{"type":"data"')) counts[i]++;
        };
      })),
  );
  await sleep(2000);
  const stats = async () => await (await fetch(`http://${base}/stats`)).json();
  const before = await stats();
  const cpu0 = cpuSeconds(o.pid);
  const counts0 = [...counts];
  const t0 = performance.now();

  // Markers while the clients run: one port each, far from the generated traffic's ports.
  const latency: number[] = [];
  const probe = new WebSocket(`ws://${base}/stream`);
  await new Promise((resolve, reject) => {
    probe.onopen = resolve;
    probe.onerror = () => reject(new Error("probe client failed"));
  });
  const udp = dgram.createSocket("udp4");
  const payload = new Uint8Array(32);
  const send = (port: number) =>
    new Promise<void>((resolve, reject) =>
      udp.send(payload, port, o.peer, (error) => error ? reject(error) : resolve())
    );
  // One packet first, so that ARP is settled before any marker is timed.
  await send(9);
  await sleep(200);
  const deadline = t0 + o.seconds * 1000;
  for (let k = 0; k < o.markers && performance.now() < deadline - 3000; k++) {
    const port = 40000 + k;
    const id = `m${k}`;
    let sentAt = 0;
    let firstData: () => void = () => {};
    const gotFirst = new Promise<void>((resolve) => (firstData = resolve));
    const seen = new Promise<number>((resolve) => {
      probe.onmessage = (event) => {
        const message = JSON.parse(event.data as string);
        if (message.type !== "data" || message.id !== id) return;
        if (sentAt === 0) firstData();
        else if (message.data.total > 0) resolve(Date.now() - sentAt);
      };
    });
    probe.send(JSON.stringify({
      op: "subscribe",
      id,
      topic: "flows",
      interval_ms: 500,
      params: { port, limit: 5 },
    }));
    await gotFirst;
    await sleep(Math.random() * 500); // a random phase against the 500 ms updates
    sentAt = Date.now();
    await send(port);
    const ms = await Promise.race([seen, sleep(5000).then(() => NaN)]);
    latency.push(ms);
    probe.send(JSON.stringify({ op: "unsubscribe", id }));
  }
  const left = deadline - performance.now();
  if (left > 0) await sleep(left);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(o.pid);
  const after = await stats();
  udp.close();
  probe.close();
  for (const ws of sockets) ws.close();
  const rates = counts.map((n, i) => (n - counts0[i]) / elapsed);
  const sorted = latency.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    seconds: elapsed,
    capturedPps: (after.capture.packets - before.capture.packets) / elapsed,
    kernelDrops: after.capture.dropped_kernel + after.capture.dropped_interface -
      before.capture.dropped_kernel - before.capture.dropped_interface,
    serverCpuPercent: (100 * (cpu1 - cpu0)) / elapsed,
    messagesPerClientPerSec: o.clients ? rates.reduce((a, b) => a + b, 0) / o.clients : 0,
    minMessagesPerClientPerSec: o.clients ? Math.min(...rates) : 0,
    skippedUpdates: after.stream.messages_skipped - before.stream.messages_skipped,
    serverRssMiB: after.memory.rss_bytes / 2 ** 20,
    latencyMs: latency,
    latencyP50Ms: percentile(sorted, 0.5),
    latencyP95Ms: percentile(sorted, 0.95),
    markersLost: latency.length - sorted.length,
  };
}

/** Runs Netwatch in a namespace pair at `pps` with `clients` clients for `seconds`. */
export async function benchStreamLive(options: {
  clients: number;
  pps: number;
  seconds?: number;
  markers?: number;
}): Promise<StreamRun> {
  await requireCommands(["ip", "curl", "trafgen"]);
  const seconds = options.seconds ?? 20;
  const link = await createTestLink();
  const config = await Deno.makeTempFile({ suffix: ".trafgen" });
  try {
    await Deno.writeTextFile(
      config,
      `{ eth(da=02:00:00:00:00:99, sa=02:00:00:00:00:01), ` +
        `ipv4(saddr=${link.a.ipv4}, daddr=${link.b.ipv4}, ttl=64), ` +
        `udp(sport=dinc(1024, 6023), dport=5001), fill(0x41, 18) }\n`,
    );
    const port = freePort();
    const netwatch = await startNetwatch(link, link.b, port);
    try {
      // At top speed (pps 0), enough packets for the window at about what trafgen reaches here
      // while Netwatch captures; the window's own captured rate is what the table reports.
      const sending = options.pps > 0
        ? sendTraffic(link, config, options.pps, seconds + 8)
        : sendTraffic(link, config, 0, seconds + 8, 650_000 * (seconds + 8));
      await sleep(1000);
      const child = link.spawn(link.b, [
        Deno.execPath(),
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--child",
        `--port=${port}`,
        `--pid=${netwatch.pid}`,
        `--clients=${options.clients}`,
        `--seconds=${seconds}`,
        `--markers=${options.markers ?? 30}`,
        `--peer=${link.a.ipv4}`,
      ], { stdout: "piped", stderr: "inherit" });
      const out = await child.output();
      const sent = await sending;
      if (!out.success) throw new Error(`stream child failed with ${out.code}`);
      const figures = JSON.parse(new TextDecoder().decode(out.stdout));
      return {
        clients: options.clients,
        askedPps: options.pps,
        sentPps: sent.sent / sent.seconds,
        ...figures,
      };
    } finally {
      await netwatch.stop();
    }
  } finally {
    await killNamespaceProcesses(link);
    await link.destroy();
    await Deno.remove(config).catch(() => {});
  }
}

/**
 * Without clients, then with 200. trafgen's pacing tops out near 450 kpps on this machine, so
 * the default is its top speed (pps 0), which is above 500 kpps while Netwatch captures.
 */
export async function runStreamBench(options: { pps?: number; seconds?: number } = {}) {
  const runs: StreamRun[] = [];
  for (const clients of [0, 200]) {
    runs.push(
      await benchStreamLive({ clients, pps: options.pps ?? 0, seconds: options.seconds }),
    );
  }
  return runs;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "boolean", default: false },
      port: { type: "string" },
      pid: { type: "string" },
      clients: { type: "string", default: "200" },
      seconds: { type: "string", default: "20" },
      markers: { type: "string", default: "30" },
      peer: { type: "string" },
      pps: { type: "string", default: "500000" },
    },
  });
  if (values.child) {
    console.log(JSON.stringify(
      await childRun({
        port: Number(values.port),
        pid: Number(values.pid),
        clients: Number(values.clients),
        seconds: Number(values.seconds),
        markers: Number(values.markers),
        peer: String(values.peer),
      }),
    ));
  } else {
    console.log(JSON.stringify(
      await runStreamBench({ pps: Number(values.pps), seconds: Number(values.seconds) }),
      null,
      2,
    ));
  }
}
