// Flow engine benchmarks: update rate, bytes per flow, query latency, RSS of an hour of history.
//
// Run: deno run -A bench/flows_bench.ts. Every engine is built as `serve` builds it, with an
// Identity (names, apps and places: pipeline/shard.ts). Memory figures come from child processes
// (this script re-run with --child=...) started with --expose-gc, so each measures one engine in
// a fresh heap: RSS (Deno.memoryUsage().rss) is read after a forced GC before the engine is built
// and again after it is filled (and GC'd, so arrays left over from growth are freed), and the
// difference is divided by the flow count. RSS counts only pages touched, so every flow must be
// written; the fill does that. A TCP flow's first packet (a SYN) waits in the engine's one-packet
// ring until a second comes, so the fills answer each SYN with a SYN-ACK: every flow is a full
// flow. The ring (maxEmbryos records, written in turn) is then touched whole, a fixed cost that
// the RSS delta includes; the slope between two sizes is the cost of one more flow. So that
// payload inspection runs as on a real link, each flow's client then sends a payload that names
// it: a DNS query (UDP) or a TLS ClientHello (TCP). Every flow takes an inspector entry, and the
// fill checks that every flow got its name.

import { PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { Flag } from "../capture/packet_batch.ts";
import { DEFAULT_FLOW_CONFIG } from "../flows/flow_config.ts";
import { FlowEngine, type FlowEngineOptions } from "../flows/flow_engine.ts";
import { EMBRYO_WORDS } from "../flows/embryo_table.ts";
import { FlowStore } from "../flows/flow_store.ts";
import { flowTableBytesPerFlow } from "../flows/flow_table.ts";
import { Identity } from "../flows/identity/identity.ts";
import type { FlowQuery } from "../flows/query.ts";
import { NAMES, namingPayloads } from "./naming_payloads.ts";
import { percentile } from "./stats.ts";

/** Every figure the benchmark prints. */
export interface FlowsBenchFigures {
  /** Packets per second through FlowEngine.add() (flows, hosts and time series together). */
  updatesPerSecond: number;
  /** Distinct flows the update run cycled over. */
  updateFlows: number;
  /**
   * Measured RSS delta per active flow, and the computed array bytes per flow: the flow table
   * and its index, and the payload inspector's fixed arrays shared out over the flows.
   */
  bytesPerFlow1M: number;
  bytesPerFlow5M: number;
  computedBytesPerFlow1M: number;
  computedBytesPerFlow5M: number;
  /** Flows held by the two bytes-per-flow runs (1M and 5M unless run smaller). */
  bytesFlows?: [number, number];
  /** RSS cost of one more flow: the slope between the two runs (fixed costs cancel out). */
  marginalBytesPerFlow?: number;
  /** Bytes of the one-packet ring at the default size: fixed, touched whole by any churn. */
  embryoRingBytes?: number;
  /** Active flows the queries ran over (1,000,000 unless run smaller). */
  queryFlows?: number;
  /** Milliseconds per query over 1,000,000 active flows, all shapes together. */
  queryP50Ms: number;
  queryP99Ms: number;
  /** p50/p99 per query shape. */
  queryShapes: { name: string; p50Ms: number; p99Ms: number; total: number }[];
  /** 60 simulated minutes at 2,000 new flows per second, history capped to hold them all. */
  historyHourRssMiB: number;
  /** Simulated minutes of the history runs (60 unless run smaller). */
  historyMinutes?: number;
  historyHourRecords: number;
  /** The same with the default configuration (history capped at 2,000,000 records). */
  historyDefaultRssMiB: number;
  historyDefaultRecords: number;
}

const BATCH = 4096;

/** An engine as `serve` runs it (pipeline/shard.ts): with an Identity, unless `bare`. */
function serveEngine(options: FlowEngineOptions, bare = false): FlowEngine {
  return new FlowEngine(bare ? options : { identity: new Identity(), ...options });
}

/** Fills slot `i` of `batch` with a UDP or TCP packet of flow `n` (few hosts, many ports). */
function flowPacket(batch: PacketBatch, i: number, n: number, ts: number, reply: boolean): void {
  const client = (0x0a000000 | (n & 255)) >>> 0; // 10.0.0.x: 256 clients
  const server = (0x0a010000 | ((n >>> 24) & 255)) >>> 0; // 10.1.0.x
  const sport = 1024 + ((n >>> 8) & 0xffff);
  const tcp = (n & 256) !== 0;
  const dport = tcp ? 443 : 53;
  batch.tsSec[i] = Math.floor(ts);
  batch.tsNsec[i] = Math.floor((ts % 1) * 1e9);
  batch.wireLen[i] = 60 + (n % 1400);
  batch.src[i << 2] = reply ? server : client;
  batch.dst[i << 2] = reply ? client : server;
  batch.srcPort[i] = reply ? dport : sport;
  batch.dstPort[i] = reply ? sport : dport;
  batch.kind[i] = PacketKind.Ipv4;
  batch.proto[i] = tcp ? 6 : 17;
  batch.flags[i] = Flag.L4 | Flag.Ports;
  batch.tcpFlags[i] = tcp ? (reply ? 0x12 : 0x02) : 0;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rss(): number {
  gc();
  gc();
  return Deno.memoryUsage().rss;
}

/**
 * Puts flows 0 to `flows` - 1 into `engine` as full flows, flow n at `ts(n)`: its packet, and
 * for a TCP flow (whose SYN alone would wait in the one-packet ring) the server's SYN-ACK.
 */
function fillFlows(engine: FlowEngine, flows: number, ts: (n: number) => number): void {
  const batch = new PacketBatch(BATCH);
  const payloads = namingPayloads();
  batch.raw = payloads.raw;
  for (let n = 0; n < flows;) {
    batch.count = 0;
    batch.rawStart = 0;
    for (; batch.count < BATCH - 2 && n < flows; n++) {
      const tcp = (n & 256) !== 0;
      flowPacket(batch, batch.count++, n, ts(n), false);
      if (tcp) flowPacket(batch, batch.count++, n, ts(n), true);
      if (engine.identity === undefined) continue;
      // The client's first payload: a DNS query, or (after the handshake) a ClientHello.
      const i = tcp ? batch.count++ : batch.count - 1;
      if (tcp) flowPacket(batch, i, n, ts(n), false);
      const k = (n % NAMES) + (tcp ? NAMES : 0);
      batch.tcpFlags[i] = tcp ? 0x18 : 0;
      batch.tcpSeq[i] = 1;
      batch.payloadOffset[i] = payloads.offsets[k];
      batch.payloadLength[i] = payloads.lengths[k];
    }
    engine.add(batch);
    for (let i = 0; i < batch.count; i++) batch.payloadLength[i] = 0;
  }
  if (engine.table.count !== flows) {
    throw new Error(`Expected ${flows} flows, got ${engine.table.count}`);
  }
  if (engine.identity === undefined) return;
  const store = engine.table.store;
  let named = 0;
  for (let s = 0; s < engine.table.slotsUsed; s++) if (store.name(s) !== 0) named++;
  if (named !== flows) throw new Error(`Expected ${flows} named flows, got ${named}`);
}

/**
 * Child: RSS delta per flow of an engine holding `flows` active flows, as serve runs it or
 * (`bare`) without payload inspection and names.
 */
function measureBytesPerFlow(flows: number, bare: boolean) {
  const before = rss();
  const engine = serveEngine(
    { maxActiveFlows: flows, tcpTimeoutSec: 1e9, udpTimeoutSec: 1e9 },
    bare,
  );
  fillFlows(engine, flows, () => 1e9);
  const after = rss();
  return {
    bytesPerFlow: (after - before) / flows,
    retired: engine.identity?.inspector.retired ?? 0,
  };
}

/** Child: RSS after `minutes` of simulated time at `rate` new two-packet flows per second. */
function measureHistory(maxHistoryRecords: number | undefined, minutes: number, rate: number) {
  const batch = new PacketBatch(BATCH);
  const before = rss();
  const engine = serveEngine(maxHistoryRecords ? { maxHistoryRecords } : {});
  const start = 1.7e9;
  let n = 0;
  for (let second = 0; second < minutes * 60; second++) {
    batch.count = 0;
    for (let k = 0; k < rate; k++, n++) {
      // Clients spread over a /16 so the host table works too; a new flow every time.
      const ts = start + second + k / rate;
      flowPacket(batch, batch.count++, n, ts, false);
      flowPacket(batch, batch.count++, n, ts + 0.0005, true);
      batch.src[(batch.count - 2) << 2] = (0x0a000000 | (n & 0xffff)) >>> 0;
      batch.dst[(batch.count - 1) << 2] = (0x0a000000 | (n & 0xffff)) >>> 0;
      if (batch.count >= BATCH - 1) {
        engine.add(batch);
        batch.count = 0;
      }
    }
    engine.add(batch);
    engine.tick(start + second + 1);
  }
  const after = rss();
  return {
    rssMiB: after / 1048576,
    deltaMiB: (after - before) / 1048576,
    records: engine.history.count,
    active: engine.table.count,
    hosts: engine.hosts.count,
  };
}

/** Packets per second through add() over `flows` distinct flows, for about `seconds`. */
function measureUpdates(flows: number, seconds: number): number {
  const engine = serveEngine({ maxActiveFlows: flows * 2 });
  const batches: PacketBatch[] = [];
  let seed = 12345;
  for (let b = 0; b < 64; b++) {
    const batch = new PacketBatch(BATCH);
    for (let i = 0; i < BATCH; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      flowPacket(batch, i, seed % flows, 1e9, (seed & 1) === 1);
    }
    batch.count = BATCH;
    batches.push(batch);
  }
  let packets = 0;
  let ts = 1e9;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    for (const batch of batches) {
      batch.tsSec.fill(ts); // packet time moves on one second per batch
      ts++;
      engine.add(batch);
      packets += batch.count;
    }
  }
  return packets / ((performance.now() - started) / 1000);
}

/** Query latencies over an engine holding `flows` active flows (1,000,000 by default). */
function measureQueries(runs: number, flows = 1_000_000) {
  const engine = serveEngine({ maxActiveFlows: flows, tcpTimeoutSec: 1e9, udpTimeoutSec: 1e9 });
  fillFlows(engine, flows, (n) => 1e9 + n / 1000);
  const shapes: { name: string; query: FlowQuery }[] = [
    {
      name: "tcp/443, >= 700 B, by bytes desc",
      query: { proto: "tcp", serverPort: 443, minBytes: 700, sort: "bytes" },
    },
    { name: "client 10.0.0.0/26, by last desc", query: { client: "10.0.0.0/26", sort: "last" } },
    {
      name: "service dns, by rate desc, offset 1000",
      query: { service: "dns", sort: "rate", offset: 1000 },
    },
    { name: "state S0, by duration asc", query: { state: "S0", sort: "duration", order: "asc" } },
    { name: "no filter, by packets desc", query: { sort: "packets" } },
    { name: 'free text "10.0.0.17"', query: { text: "10.0.0.17", sort: "bytes" } },
  ];
  const all: number[] = [];
  const perShape = shapes.map(({ name, query }) => {
    const times: number[] = [];
    let total = 0;
    engine.query(query); // warm up
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const page = engine.query({ ...query, limit: 100 });
      times.push(performance.now() - t0);
      total = page.total;
    }
    times.sort((a, b) => a - b);
    all.push(...times);
    return { name, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), total };
  });
  all.sort((a, b) => a - b);
  return { p50: percentile(all, 0.5), p99: percentile(all, 0.99), perShape };
}

/** Runs this script as a child with `mode` and returns the JSON it prints. */
async function child(mode: string): Promise<Record<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc,--max-old-space-size=8192",
      new URL(import.meta.url).pathname,
      `--child=${mode}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Benchmark child "${mode}" failed with code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Sizes of the memory section; the defaults are the budget's (1M and 5M flows, an hour). */
export interface FlowsBenchSizes {
  /** Active flows of the two bytes-per-flow runs. */
  bytesFlows?: [number, number];
  /** Simulated minutes of the history runs (at 2,000 new flows a second). */
  historyMinutes?: number;
  /** Active flows the queries run over. */
  queryFlows?: number;
  /** Seconds of the update-rate run. */
  updateSeconds?: number;
}

/** Runs every measurement and returns the figures. Takes a few minutes on 2 cores. */
export async function runFlowsBench(sizes: FlowsBenchSizes = {}): Promise<FlowsBenchFigures> {
  const [small, large] = sizes.bytesFlows ?? [1_000_000, 5_000_000];
  const minutes = sizes.historyMinutes ?? 60;
  const updateFlows = 200_000;
  const updatesPerSecond = measureUpdates(updateFlows, sizes.updateSeconds ?? 5);
  const queries = measureQueries(40, sizes.queryFlows);
  const b1 = await child(`bytes:${small}`);
  const b5 = await child(`bytes:${large}`);
  // Capped to hold every flow of the run (2,000 a second), with some room.
  const hour = await child(`history:${Math.ceil(minutes * 60 * 2000 * 1.014)}:${minutes}`);
  const defaults = await child(`history:0:${minutes}`);
  const inspectorBytes = new Identity().inspector.allocatedBytes;
  return {
    updatesPerSecond,
    updateFlows,
    bytesPerFlow1M: b1.bytesPerFlow,
    bytesPerFlow5M: b5.bytesPerFlow,
    computedBytesPerFlow1M: flowTableBytesPerFlow() + inspectorBytes / small,
    computedBytesPerFlow5M: flowTableBytesPerFlow() + inspectorBytes / large,
    bytesFlows: [small, large],
    marginalBytesPerFlow: (b5.bytesPerFlow * large - b1.bytesPerFlow * small) / (large - small),
    embryoRingBytes: DEFAULT_FLOW_CONFIG.maxEmbryos * FlowStore.bytesPerRecord(EMBRYO_WORDS),
    queryFlows: sizes.queryFlows ?? 1_000_000,
    queryP50Ms: queries.p50,
    queryP99Ms: queries.p99,
    queryShapes: queries.perShape,
    historyHourRssMiB: hour.rssMiB,
    historyHourRecords: hour.records,
    historyMinutes: minutes,
    historyDefaultRssMiB: defaults.rssMiB,
    historyDefaultRecords: defaults.records,
  };
}

/** The figures as a plain table. */
export function formatFlowsBench(f: FlowsBenchFigures): string {
  const n = (v: number, digits = 0) =>
    v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const [small, large] = f.bytesFlows ?? [1_000_000, 5_000_000];
  const size = (v: number) => v >= 1e6 ? `${n(v / 1e6, v % 1e6 ? 1 : 0)}M` : `${n(v / 1e3)}k`;
  const minutes = f.historyMinutes ?? 60;
  const rows: [string, string][] = [
    [`flow updates per second (${n(f.updateFlows)} flows)`, n(f.updatesPerSecond)],
    [
      `bytes per flow at ${size(small)} flows (RSS delta)`,
      `${n(f.bytesPerFlow1M, 1)} (arrays: ${n(f.computedBytesPerFlow1M, 1)})`,
    ],
    [
      `bytes per flow at ${size(large)} flows (RSS delta)`,
      `${n(f.bytesPerFlow5M, 1)} (arrays: ${n(f.computedBytesPerFlow5M, 1)})`,
    ],
    ...(f.marginalBytesPerFlow === undefined ? [] : [[
      `one more flow (slope ${size(small)} -> ${size(large)})`,
      `${n(f.marginalBytesPerFlow, 1)}; one-packet ring (fixed): ${
        n((f.embryoRingBytes ?? 0) / 2 ** 20, 1)
      } MiB`,
    ] as [string, string]]),
    [`query p50 at ${size(f.queryFlows ?? 1e6)} flows (ms)`, n(f.queryP50Ms, 2)],
    [`query p99 at ${size(f.queryFlows ?? 1e6)} flows (ms)`, n(f.queryP99Ms, 2)],
    ...f.queryShapes.map((s): [string, string] => [
      `  ${s.name}`,
      `p50 ${n(s.p50Ms, 2)}  p99 ${n(s.p99Ms, 2)}  (${n(s.total)} match)`,
    ]),
    [
      `RSS after ${minutes} min at 2,000 flows/s (MiB)`,
      `${n(f.historyHourRssMiB, 1)} (${n(f.historyHourRecords)} history records)`,
    ],
    [
      "  same, default caps (MiB)",
      `${n(f.historyDefaultRssMiB, 1)} (${n(f.historyDefaultRecords)} history records)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

if (import.meta.main) {
  const mode = Deno.args.find((a) => a.startsWith("--child="))?.slice(8);
  if (mode?.startsWith("bytes:")) {
    // bytes:N as serve runs the engine; bytes:N:bare without identity (to see what it costs).
    const [flows, bare] = mode.slice(6).split(":");
    console.log(JSON.stringify(measureBytesPerFlow(Number(flows), bare === "bare")));
  } else if (mode === "queries") {
    console.log(JSON.stringify(measureQueries(40)));
  } else if (mode === "updates") {
    console.log(JSON.stringify({ updatesPerSecond: measureUpdates(200_000, 5) }));
  } else if (mode?.startsWith("history:")) {
    const [cap, minutes = "60"] = mode.slice(8).split(":");
    console.log(JSON.stringify(measureHistory(Number(cap) || undefined, Number(minutes), 2000)));
  } else {
    console.log(formatFlowsBench(await runFlowsBench()));
  }
}
