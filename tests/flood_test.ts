// The flow engine under the worst traffic (bench/generate_flood.ts), every table small, so that
// the flow table, the one-packet ring and the host table are all full and turning over: every
// packet still counts, the heavy hosts stay exact, and the flood is summarised, not dropped.
//
// Each assertion says in a comment what engine fault would make it fail; each was seen to fail
// once with that fault put into flows/ by hand (see the commit that added this file).

import assert from "node:assert/strict";
import {
  type FloodCapture,
  type FloodOptions,
  generateFlood,
  LINE_RATE_64B,
} from "../bench/generate_flood.ts";
import { readCaptureFile } from "../capture/read_file.ts";
import { topHosts } from "../flows/engine_views.ts";
import { FlowEngine, type FlowEngineOptions } from "../flows/flow_engine.ts";
import type { FlowRecord } from "../flows/flow_record.ts";
import { PacketCounters } from "../flows/packet_counters.ts";

const SERVER = "192.168.0.1";
const HEAVY = /^10\.9\.9\.[1-5]$/;
/** Packets of each generated flood: 6 s of capture time at 50 kpps. */
const PACKETS = 300_000;
const RATE = 50_000;

/** A flood read through an engine, with what an independent count of the file says. */
interface FloodRun {
  capture: FloodCapture;
  engine: FlowEngine;
  counters: PacketCounters;
  /** Packets and bytes per second of capture time, counted from the batches themselves. */
  perSecond: Map<number, { packets: number; bytes: number }>;
}

/** Generates a flood, reads it into an engine with `config` as `report` does, ticking per batch. */
function runFlood(flood: Omit<FloodOptions, "packets">, config: FlowEngineOptions): FloodRun {
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  try {
    const capture = generateFlood(path, { packets: PACKETS, rate: RATE, ...flood });
    const counters = new PacketCounters();
    const engine = new FlowEngine(config);
    const perSecond = new Map<number, { packets: number; bytes: number }>();
    readCaptureFile(path, (batch) => {
      for (let i = 0; i < batch.count; i++) {
        const s = perSecond.get(batch.tsSec[i]) ?? { packets: 0, bytes: 0 };
        s.packets++;
        s.bytes += batch.wireLen[i];
        perSecond.set(batch.tsSec[i], s);
      }
      counters.add(batch);
      engine.add(batch);
      engine.tick(engine.now);
    });
    return { capture, engine, counters, perSecond };
  } finally {
    Deno.removeSync(path);
  }
}

function packetsOf(f: FlowRecord): number {
  return f.packets_c2s + f.packets_s2c;
}

function heavyBytes(capture: FloodCapture): number {
  return [...capture.heavy.values()].reduce((a, b) => a + b, 0);
}

/** Every packet is in the totals, the per-second series and the protocol and service mix. */
function assertTotals(run: FloodRun, synAcks: number): void {
  const { capture, engine, counters } = run;
  // PacketCounters: the capture's own totals, every packet TCP over IPv4.
  assert.deepEqual(
    [counters.packets, counters.bytes, counters.ipv4, counters.tcp],
    [capture.packets, capture.bytes, capture.packets, capture.packets],
  );
  assert.equal(engine.packets, capture.packets);
  // The per-second series, second by second. Fails if a one-packet flow's packet skipped the
  // series, if an aggregate's gain were added to it again when its second is accounted, or if
  // a folded or evicted flow's pending gain were lost.
  const seconds = [...run.perSecond.keys()].sort((a, b) => a - b);
  const first = seconds[0];
  const last = seconds[seconds.length - 1];
  assert.ok(seconds.length >= 5, `the flood spans ${seconds.length} seconds`);
  const points = engine.series.points("seconds", last, last - first + 1);
  assert.deepEqual(
    points.map((p) => [p.t, p.packets, p.bytes]),
    seconds.map((t) => [t, run.perSecond.get(t)!.packets, run.perSecond.get(t)!.bytes]),
  );
  // Protocol and service mix over the hour: all TCP; port 80 is the SYNs (and their answers),
  // port 443 the heavy hosts. Fails if a packet were counted under the wrong flow's service
  // (a SYN-ACK first seen oriented from the wrong end, say) or not at all.
  const totals = engine.series.totals(last, 3600);
  assert.deepEqual(totals.protocols.tcp, { packets: capture.packets, bytes: capture.bytes });
  const heavy = heavyBytes(capture);
  const byService = Object.fromEntries(
    totals.services.map((s) => [s.service, [s.packets, s.bytes]]),
  );
  assert.deepEqual(byService, {
    http: [capture.synPackets + synAcks, capture.synBytes + capture.synAckBytes],
    https: [heavy / 1514, heavy],
  });
}

/**
 * While the flood runs: the server first, then the five heavy hosts, each with exactly the
 * bytes it sent, less the packet of a flow of its still waiting in the one-packet ring (the
 * flow table evicted its flow, and its next packet started a new one there): such a packet
 * reaches its hosts once the flow is resolved, or early while the budget allows.
 */
function assertTalkersDuring(run: FloodRun): void {
  const { capture, engine } = run;
  const waiting = engine.activeRecords().filter((f) => HEAVY.test(f.src_ip) && packetsOf(f) === 1);
  // Fails if a heavy host were evicted from the host table while flood sources poured in (it
  // would come back with only its latest bytes, or not at all), or if its flows' gains were
  // lost when the flow table evicted them.
  const top = topHosts(engine, engine.now, "60m", "bytes", 6);
  assert.equal(top[0].address, SERVER);
  assert.deepEqual(top.slice(1).map((h) => h.address).sort(), [...capture.heavy.keys()].sort());
  for (const h of top.slice(1)) {
    const short = capture.heavy.get(h.address)! - h.bytes_sent;
    const pending = waiting.filter((f) => f.src_ip === h.address).length * 1514;
    assert.ok(short >= 0 && short <= pending, `${h.address} is ${short} bytes short`);
  }
}

/**
 * Once every flow is ended: the server first, then the heavy hosts with exactly the bytes they
 * sent; the server has exactly what it received and sent. Fails if a one-packet flow's packet
 * reached its hosts twice (accounted early, then again in the gain of the aggregate it was
 * folded into) or never (folded or promoted without its hosts being accounted).
 */
function assertTalkersExact(run: FloodRun): void {
  const { capture, engine } = run;
  engine.endAll();
  const top = topHosts(engine, engine.now, "60m", "bytes", 6);
  assert.deepEqual(
    [top[0].address, top[0].bytes_received, top[0].bytes_sent],
    [SERVER, capture.synBytes + heavyBytes(capture), capture.synAckBytes],
  );
  const want = [...capture.heavy].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  assert.deepEqual(
    top.slice(1).map((h) => [h.address, h.bytes_sent, h.bytes_received]),
    want.map(([address, bytes]) => [address, bytes, 0]),
  );
}

Deno.test("a SYN flood through full tables: every packet counted, heavy hosts exact", () => {
  const config = {
    // (Ending every flow at the end accounts the ring's waiting packets to their hosts at once:
    // the ring is kept below a quarter of the host table so that this does not evict the
    // heavy hosts on its own.)
    maxEmbryos: 1024,
    // Five heavy flows and the flood's aggregate need six records: four make them evict each
    // other all the time.
    maxActiveFlows: 4,
    maxHosts: 4096,
    maxHistoryRecords: 1_000_000,
  };
  const run = runFlood({}, config);
  const { capture, engine } = run;

  // The pressure this test is about: each table full and turning over.
  // (Promoted entries leave holes in the ring until it comes round to them.)
  assert.ok(engine.embryos.count > 0.9 * config.maxEmbryos, "the one-packet ring is full");
  assert.ok(engine.embryos.written > 10 * config.maxEmbryos, "and has gone round many times");
  assert.ok(engine.aggregated > 200_000, `only ${engine.aggregated} folded`);
  assert.ok(engine.evicted > 1000, `only ${engine.evicted} flows evicted`);
  assert.equal(engine.hosts.count, config.maxHosts, "the host table is full");
  assert.ok(engine.hosts.evicted > 0, "the host table evicted flood sources");

  assertTotals(run, 0);
  assertTalkersDuring(run);

  const active = engine.activeRecords();
  const ended = engine.endedRecords();
  const all = [...active, ...ended];
  const aggregates = all.filter((f) => f.aggregate);
  // Aggregates: one server, client end unspecified. Their packets are exactly the one-packet
  // flows folded: fails if a fold lost or doubled its packet, or if an evicted aggregate's
  // record were not kept.
  for (const f of aggregates) {
    assert.deepEqual([f.src_ip, f.src_port, f.dst_ip, f.dst_port], ["0.0.0.0", 0, SERVER, 80]);
  }
  assert.equal(aggregates.reduce((n, f) => n + packetsOf(f), 0), engine.aggregated);
  // Each SYN is either folded or still waiting in the ring: fails if the ring forgot one.
  const waitingSyns = active.filter((f) => !f.aggregate && f.dst_port === 80).length;
  assert.equal(engine.aggregated + waitingSyns, capture.synPackets);
  // Every packet is in exactly one record (nothing was dropped from the history).
  assert.equal(engine.history.dropped, 0);
  assert.equal(all.reduce((n, f) => n + packetsOf(f), 0), capture.packets);

  // The history holds exactly the flows that ended, and only evicted heavy flows and
  // aggregates: fails if a folded SYN were also written to the history as a flow of its own.
  assert.equal(engine.history.added, engine.flowsEnded);
  assert.equal(ended.length, engine.evicted);
  const stray = ended.filter((f) => !f.aggregate && !HEAVY.test(f.src_ip));
  assert.deepEqual(stray, []);

  assertTalkersExact(run);
});

Deno.test("answered SYNs under pressure: promoted before the ring forgets them, totals exact", () => {
  const config = {
    maxEmbryos: 4096,
    maxActiveFlows: 64,
    maxHosts: 8192,
    maxHistoryRecords: 1_000_000,
  };
  // 5% of SYNs are answered 16 packets later (still in the ring: promoted); 5% three rings
  // later (folded by then: the SYN-ACK is a new one-packet flow, seen from the server).
  const run = runFlood({
    answers: [{ share: 0.05, delay: 16 }, { share: 0.05, delay: 3 * config.maxEmbryos }],
  }, config);
  const { capture, engine } = run;
  const [quick, late] = capture.synAckPackets;
  assert.ok(quick > 500 && late > 500, `answers: ${quick} quick, ${late} late`);

  // (Promoted entries leave holes in the ring until it comes round to them.)
  assert.ok(engine.embryos.count > 0.9 * config.maxEmbryos, "the one-packet ring is full");
  assert.ok(engine.embryos.written > 10 * config.maxEmbryos, "and has gone round many times");
  assert.ok(engine.evicted > 1000, `only ${engine.evicted} flows evicted`);
  assert.equal(engine.hosts.count, config.maxHosts, "the host table is full");
  assert.ok(engine.hosts.evicted > 0, "the host table evicted flood sources");

  assertTotals(run, quick + late);
  assertTalkersDuring(run);

  const active = engine.activeRecords();
  const ended = engine.endedRecords();
  const all = [...active, ...ended];
  const aggregates = all.filter((f) => f.aggregate);
  const heavyFlows = all.filter((f) => HEAVY.test(f.src_ip));
  const answered = all.filter((f) => !f.aggregate && !HEAVY.test(f.src_ip) && packetsOf(f) > 1);
  // Every quick answer found its SYN and made a two-packet flow from its client to port 80
  // with both packets' bytes; heavy flows start mid-stream (an ACK with data), so as full
  // flows, never in the ring. Fails if promotion lost the first packet's counts, or its
  // orientation, or if data packets went through the ring.
  assert.equal(engine.single.promoted, quick);
  assert.ok(heavyFlows.length > 0);
  assert.equal(answered.length, quick);
  for (const f of answered) {
    assert.deepEqual(
      [f.dst_ip, f.dst_port, f.packets_c2s, f.bytes_c2s, f.packets_s2c, f.bytes_s2c],
      [SERVER, 80, 1, 60, 1, 60],
    );
  }
  // Aggregates hold exactly what was folded: SYNs from clients, late SYN-ACKs from the server.
  assert.ok(aggregates.every((f) => f.dst_ip === SERVER && f.dst_port === 80));
  assert.equal(aggregates.reduce((n, f) => n + packetsOf(f), 0), engine.aggregated);
  const waitingAcks = active.filter((f) => !f.aggregate && f.packets_s2c === 1 && !f.packets_c2s);
  assert.equal(aggregates.reduce((n, f) => n + f.packets_s2c, 0) + waitingAcks.length, late);
  // Every ring entry is waiting, promoted or folded (no idle timeout ran in 6 s).
  assert.equal(
    engine.embryos.written,
    engine.embryos.count + engine.single.promoted + engine.aggregated,
  );
  assert.equal(engine.history.dropped, 0);
  assert.equal(all.reduce((n, f) => n + packetsOf(f), 0), capture.packets);

  // The history: only flows the full table evicted (heavy, answered, aggregates).
  assert.equal(engine.history.added, engine.flowsEnded);
  assert.equal(ended.length, engine.evicted);
  const stray = ended.filter((f) => !f.aggregate && !HEAVY.test(f.src_ip) && packetsOf(f) !== 2);
  assert.deepEqual(stray, []);

  assertTalkersExact(run);
});

Deno.test("at line rate, a host table smaller than a second of flood sources keeps heavy hosts", () => {
  // 300,000 packets at 1.488 Mpps: one second of capture time whose flood sources, accounted
  // early, would outnumber the host table. Fails if early accounting of one-packet flows may
  // bring in more hosts between two accountings of the heavy flows than the table holds: the
  // heavy hosts are then the least recent and are evicted (before the budget was capped by the
  // table's size, none of the five was in the table at the end).
  const run = runFlood({ rate: LINE_RATE_64B }, {
    maxEmbryos: 32_768,
    maxHosts: 16_384,
    maxHistoryRecords: 1_000_000,
  });
  assert.equal(run.counters.packets, PACKETS);
  assert.ok(run.engine.aggregated > 200_000, `only ${run.engine.aggregated} folded`);
  // The flow table keeps the heavy flows, so nothing of theirs waits: this is exact.
  assertTalkersDuring(run);
});
