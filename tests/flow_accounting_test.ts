// The flow engine accounts hosts and time series per flow and per second (see flow_engine.ts).
// These tests hold it to the packet-by-packet answer: the same captures fed packet by packet
// into a plain HostTable and TimeSeries must give the same top talkers, rates and series, on
// every real capture and on generated traffic out of time order.

import assert from "node:assert/strict";
import { type PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { readCaptureFile } from "../capture/read_file.ts";
import { isFlowPacket } from "../flows/flow_key.ts";
import { FlowEngine } from "../flows/flow_engine.ts";
import { type HostTable, HostTable as Hosts } from "../flows/hosts.ts";
import { type HostWindow, topHostStats } from "../flows/host_views.ts";
import { L4Class, TimeSeries } from "../flows/time_series.ts";
import { batchOf, type TestPacket } from "./helpers/packets.ts";
import { corpusFiles, corpusPath } from "./helpers/corpus.ts";
import { mulberry32 } from "./helpers/random.ts";

const MAX_HOSTS = 1 << 20; // no eviction: eviction order is the one thing allowed to differ

/** Hosts and series fed one packet at a time, as the engine did before per-second accounting. */
class PerPacket {
  readonly hosts = new Hosts(MAX_HOSTS);
  readonly series = new TimeSeries();
  now = 0;

  add(batch: PacketBatch): void {
    for (let i = 0; i < batch.count; i++) {
      const ts = batch.tsSec[i] + batch.tsNsec[i] * 1e-9;
      if (ts > this.now) this.now = ts;
      const len = batch.wireLen[i];
      const ip = batch.kind[i] === PacketKind.Ipv4 || batch.kind[i] === PacketKind.Ipv6;
      if (ip) this.hosts.addPacket(batch, i, len);
      const proto = batch.proto[i];
      const l4 = !isFlowPacket(batch, i)
        ? L4Class.NonFlow
        : proto === 6
        ? L4Class.Tcp
        : proto === 17
        ? L4Class.Udp
        : proto === 1 || proto === 58
        ? L4Class.Icmp
        : L4Class.Other;
      this.series.addPacket(ts, len, l4, 0);
    }
  }
}

/** Everything a reader can see of hosts and series at `now`, services left out (see below). */
function observed(hosts: HostTable, series: TimeSeries, now: number) {
  const windows: HostWindow[] = [1, 5, 15, 60];
  const totals = (w: number) => {
    const { packets, bytes, dropped, protocols } = series.totals(now, w);
    return { packets, bytes, dropped, protocols };
  };
  return {
    hostCount: hosts.count,
    talkers: windows.flatMap((w) => [
      topHostStats(hosts, now, w, 50, "bytes"),
      topHostStats(hosts, now, w, 50, "packets", "sent"),
    ]),
    seconds: series.points("seconds", now, 3600),
    minutes: series.points("minutes", now, 1440),
    totals: [totals(10), totals(3600), totals(86_400)],
  };
}

/**
 * Compares engine and reference at `now`. Services are left out: per second they follow the
 * flow's service when the second is accounted, which can differ from the packet's for a flow
 * whose orientation (so its server port) changed within that second.
 */
function assertSame(engine: FlowEngine, reference: PerPacket, label: string) {
  const now = Math.max(engine.now, reference.now);
  assert.deepEqual(
    observed(engine.hosts, engine.series, now),
    observed(reference.hosts, reference.series, now),
    label,
  );
}

Deno.test("per-second accounting equals packet-by-packet on every real capture", () => {
  const files = corpusFiles("real");
  assert.ok(files.length >= 20, `expected the real corpus, found ${files.length} files`);
  let compared = 0;
  for (const name of files) {
    const engine = new FlowEngine({ maxHosts: MAX_HOSTS });
    const reference = new PerPacket();
    readCaptureFile(corpusPath(`real/${name}`), (batch) => {
      engine.add(batch);
      engine.tick(engine.now);
      reference.add(batch);
    });
    assertSame(engine, reference, name);
    if (reference.hosts.count > 0) compared++;
  }
  assert.ok(compared >= 20, `only ${compared} captures had IP hosts`);
});

/** Random UDP/TCP/ICMP packets over a few seconds, timestamps jittered out of order. */
function shuffledTraffic(seed: number, count: number, flows: number): TestPacket[] {
  const rnd = mulberry32(seed);
  const packets: TestPacket[] = [];
  for (let n = 0; n < count; n++) {
    const f = Math.floor(rnd() * flows);
    const up = rnd() < 0.6;
    const client = `10.0.${f >> 8}.${f & 255}`;
    const server = `192.168.1.${f % 7}`;
    const proto = [6, 17, 1][f % 3];
    // Mostly in order, with 1 packet in 8 up to 3 s late.
    const ts = 1_000 + n * 0.0007 - (rnd() < 0.125 ? rnd() * 3 : 0);
    packets.push({
      ts,
      src: up ? client : server,
      dst: up ? server : client,
      proto,
      sport: proto === 1 ? (up ? 8 : 0) : up ? 40_000 + f : 443,
      dport: proto === 1 ? 0 : up ? 443 : 40_000 + f,
      tcp: proto === 6 ? 0x18 : undefined,
      len: 60 + Math.floor(rnd() * 1400),
    });
  }
  return packets;
}

Deno.test("per-second accounting equals packet-by-packet with packets out of time order", () => {
  const packets = shuffledTraffic(7, 12_000, 300);
  const engine = new FlowEngine({ maxHosts: MAX_HOSTS, udpTimeoutSec: 2, icmpTimeoutSec: 2 });
  const reference = new PerPacket();
  for (let at = 0; at < packets.length; at += 500) {
    const batch = batchOf(packets.slice(at, at + 500));
    engine.add(batch);
    reference.add(batch);
    // Read between batches too: reading accounts the pending second early.
    if (at % 2000 === 0) assertSame(engine, reference, `after ${at + 500} packets`);
    engine.tick(engine.now);
  }
  assertSame(engine, reference, "at the end");
  assert.ok(engine.flowsEnded > 0, "idle timeouts ended flows with traffic pending");
  assert.ok(engine.series.seconds.late === 0, "late packets stayed inside the hour");
});

Deno.test("per-second accounting equals packet-by-packet when flows are evicted mid-second", () => {
  // 40,000 flows in one second, in a table of 1,000: the UDP ones end (evicted) with traffic
  // pending, and more flows touch the second than the pending list holds. The TCP and ICMP
  // ones have one packet each: more than the engine accounts to hosts at once per second, so
  // their hosts get them when they end; after endAll() every packet is accounted.
  const packets = shuffledTraffic(11, 40_000, 40_000).map((p, n) => ({
    ...p,
    ts: 5_000 + n * 1e-5,
  }));
  const engine = new FlowEngine({ maxHosts: MAX_HOSTS, maxActiveFlows: 1_000 });
  const reference = new PerPacket();
  for (let at = 0; at < packets.length; at += 4096) {
    const batch = batchOf(packets.slice(at, at + 4096));
    engine.add(batch);
    reference.add(batch);
  }
  assert.ok(engine.evicted > 10_000, `evicted ${engine.evicted}`);
  assert.ok(engine.embryos.count > 5_000, `one-packet flows ${engine.embryos.count}`);
  engine.endAll();
  assertSame(engine, reference, "one busy second");
});
