// Server benchmarks: REST latency over 1,000,000 flows, and 200 WebSocket clients during a capture.
//
// Run: deno run -A bench/server_bench.ts (about two minutes on 2 cores; needs root for the live
// capture on lo). Part 1 fills a FlowEngine in this process and times requests through a real
// HTTP server (Deno.serve on 127.0.0.1) with fetch, one at a time. Part 2 starts the real CLI,
// `serve -i lo -f "udp port P"`, a separate process sending UDP to 127.0.0.1:P at a fixed rate,
// and 200 WebSocket clients here, each subscribed to rates, talkers and flows at 500 ms; it
// reads the server's CPU from /proc/<pid>/stat and kernel drops from /api/v1/stats, with and
// without the clients.

import { Flag, PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { createApp } from "../server/app.ts";
import { serveApp } from "../server/serve.ts";
import { LocalMonitor } from "../tests/helpers/local_monitor.ts";
import { cliCommand } from "../tests/helpers/cli.ts";
import { waitForLine } from "../tests/helpers/netns.ts";
import { freePort } from "../tests/helpers/serve.ts";
import { percentile } from "./stats.ts";

/** Every figure the benchmark prints. */
export interface ServerBenchFigures {
  flows: number;
  /** Milliseconds per request, by request name: p50 and p99. */
  rest: { name: string; p50: number; p99: number; requests: number }[];
  stream: StreamRun[];
}

/** One run of part 2. */
export interface StreamRun {
  clients: number;
  seconds: number;
  /** UDP packets per second sent to the captured port. */
  offeredPps: number;
  /** Packets the server accounted per second. */
  capturedPps: number;
  /** Server CPU, percent of one core (user + system, all threads). */
  serverCpuPercent: number;
  /** Data messages per client per second (3 subscriptions at 500 ms: 6 expected). */
  messagesPerClientPerSec: number;
  /** Lowest per-client rate seen. */
  minMessagesPerClientPerSec: number;
  kernelDrops: number;
  skippedUpdates: number;
  serverRssMiB: number;
}

const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** Fills an engine with `count` distinct TCP/UDP flows between 50,000 clients and 200 servers. */
function fillMonitor(count: number): LocalMonitor {
  const m = new LocalMonitor();
  const t0 = Math.floor(Date.now() / 1000) - 60;
  const batch = new PacketBatch(4096);
  for (let done = 0; done < count;) {
    const n = Math.min(batch.capacity, count - done);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      batch.tsSec[i] = t0 + Math.floor(k * 60 / count);
      batch.tsNsec[i] = (k * 7919) % 1_000_000_000;
      batch.wireLen[i] = 60 + (k * 131) % 1440;
      batch.src.fill(0, i * 4, i * 4 + 4);
      batch.dst.fill(0, i * 4, i * 4 + 4);
      batch.src[i * 4] = (0x0a000000 + (k % 50_000)) >>> 0; // 10.0.x.y
      batch.dst[i * 4] = (0xc0a80000 + (k % 200)) >>> 0; // 192.168.0.x
      batch.srcPort[i] = 1024 + Math.floor(k / 50_000) % 60_000;
      batch.dstPort[i] = [443, 80, 53, 22, 8080][k % 5];
      batch.kind[i] = PacketKind.Ipv4;
      batch.proto[i] = k % 5 === 2 ? 17 : 6;
      batch.flags[i] = Flag.L4 | Flag.Ports;
      batch.vlan[i] = 0;
      batch.tcpFlags[i] = 0x02;
    }
    batch.count = n;
    m.counters.add(batch);
    m.engine.add(batch);
    done += n;
  }
  m.clock = t0 + 61;
  return m;
}

/** Part 1: p50/p99 of REST requests over `flows` active flows. */
export async function benchRest(
  flows = 1_000_000,
  requests = 60,
): Promise<ServerBenchFigures["rest"]> {
  const monitor = fillMonitor(flows);
  const app = createApp({ monitor, version: "bench" });
  const server = await serveApp(app, "127.0.0.1", 0);
  const base = `http://127.0.0.1:${server.port}/api/v1`;
  const now = Math.floor(monitor.nowSec);
  const cases: [string, string][] = [
    ["/flows filtered+sorted page", "/flows?proto=tcp&port=443&sort=bytes&order=desc&limit=50"],
    ["/flows CIDR filter, by rate", "/flows?host=10.0.128.0/17&sort=rate&limit=100"],
    ["/flows all, sort bytes", "/flows?sort=bytes&limit=50"],
    ["/flows page 100 (offset)", "/flows?sort=bytes&limit=50&offset=5000"],
    ["/talkers 5m top 10", "/talkers?window=5m&limit=10"],
    ["/series 5 min by protocol", `/series?from=${now - 300}&to=${now}&breakdown=protocol`],
    ["/series 1 h by service", `/series?from=${now - 3599}&to=${now}&breakdown=service&step=10`],
  ];
  const out: ServerBenchFigures["rest"] = [];
  try {
    for (const [name, path] of cases) {
      const times: number[] = [];
      for (let i = 0; i < requests + 3; i++) {
        const start = performance.now();
        const response = await fetch(base + path);
        if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
        await response.arrayBuffer();
        if (i >= 3) times.push(performance.now() - start); // 3 warm-up requests
      }
      times.sort((a, b) => a - b);
      out.push({ name, p50: percentile(times, 0.5), p99: percentile(times, 0.99), requests });
    }
  } finally {
    await server.shutdown();
  }
  return out;
}

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

/** A child process sending `pps` UDP packets per second to 127.0.0.1:`port`. */
function startSender(port: number, pps: number): Deno.ChildProcess {
  const code = `
    import dgram from "node:dgram";
    const socket = dgram.createSocket("udp4");
    const payload = new Uint8Array(200);
    const perTick = ${Math.max(1, Math.round(pps / 100))};
    let sport = 0;
    setInterval(() => { for (let i = 0; i < perTick; i++) socket.send(payload, ${port}, "127.0.0.1"); }, 10);
  `;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Part 2, one run: `clients` WebSocket clients for `seconds` during a live capture on lo. */
export async function benchStream(
  clients: number,
  seconds: number,
  pps: number,
): Promise<StreamRun> {
  const port = freePort();
  const udpPort = freePort();
  const [program, ...lead] = cliCommand();
  const child = new Deno.Command(program, {
    args: [
      ...lead,
      "serve",
      "-i",
      "lo",
      "-f",
      `udp port ${udpPort}`,
      "--listen",
      `127.0.0.1:${port}`,
      "--no-history",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const sender = startSender(udpPort, pps);
  const sockets: WebSocket[] = [];
  try {
    await waitForLine(child.stderr, /netwatch: serving/, 30_000, "serve");
    const counts = new Array<number>(clients).fill(0);
    await Promise.all(
      Array.from({ length: clients }, (_, i) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/stream`);
          sockets.push(ws);
          ws.onopen = () => {
            for (
              const [id, topic, params] of [["r", "rates", {}], ["t", "talkers", { limit: 10 }], [
                "f",
                "flows",
                { sort: "bytes", limit: 50 },
              ]] as const
            ) {
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
    await new Promise((r) => setTimeout(r, 2000)); // settle
    const stats = async () => await (await fetch(`http://127.0.0.1:${port}/api/v1/stats`)).json();
    const before = await stats();
    const ticks0 = cpuTicks(child.pid);
    const counts0 = [...counts];
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const ticks1 = cpuTicks(child.pid);
    const after = await stats();
    const rates = counts.map((n, i) => (n - counts0[i]) / elapsed);
    return {
      clients,
      seconds: elapsed,
      offeredPps: pps,
      capturedPps: (after.capture.packets - before.capture.packets) / elapsed,
      serverCpuPercent: (ticks1 - ticks0) / TICKS_PER_SEC / elapsed * 100,
      messagesPerClientPerSec: clients ? rates.reduce((a, b) => a + b, 0) / clients : 0,
      minMessagesPerClientPerSec: clients ? Math.min(...rates) : 0,
      kernelDrops: after.capture.dropped_kernel + after.capture.dropped_interface -
        before.capture.dropped_kernel - before.capture.dropped_interface,
      skippedUpdates: after.stream.messages_skipped - before.stream.messages_skipped,
      serverRssMiB: after.memory.rss_bytes / 2 ** 20,
    };
  } finally {
    for (const ws of sockets) ws.close();
    sender.kill("SIGKILL");
    await sender.status;
    child.kill("SIGTERM");
    await child.status;
  }
}

/** Runs both parts. */
export async function runServerBench(): Promise<ServerBenchFigures> {
  const rest = await benchRest(1_000_000);
  const stream = [];
  for (const clients of [0, 200]) stream.push(await benchStream(clients, 20, 20_000));
  return { flows: 1_000_000, rest, stream };
}

/** The figures as a plain table. */
export function formatServerBench(f: ServerBenchFigures): string {
  const lines = [
    `REST over ${f.flows.toLocaleString("en-US")} active flows (ms, sequential requests)`,
  ];
  lines.push(`  ${"request".padEnd(32)} ${"p50".padStart(8)} ${"p99".padStart(8)}`);
  for (const r of f.rest) {
    lines.push(
      `  ${r.name.padEnd(32)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}`,
    );
  }
  lines.push("", "Stream during a live capture on lo (3 subscriptions per client at 500 ms)");
  lines.push(
    "  clients  offered pps  captured pps  server CPU %  msg/client/s (min)  kernel drops  skipped  RSS MiB",
  );
  for (const s of f.stream) {
    lines.push(
      `  ${String(s.clients).padStart(7)}  ${String(s.offeredPps).padStart(11)}  ` +
        `${s.capturedPps.toFixed(0).padStart(12)}  ${
          s.serverCpuPercent.toFixed(1).padStart(12)
        }  ` +
        `${
          `${s.messagesPerClientPerSec.toFixed(2)} (${s.minMessagesPerClientPerSec.toFixed(2)})`
            .padStart(18)
        }  ` +
        `${String(s.kernelDrops).padStart(12)}  ${String(s.skippedUpdates).padStart(7)}  ${
          s.serverRssMiB.toFixed(0).padStart(7)
        }`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(formatServerBench(await runServerBench()));
}
