// An in-process monitor for server tests and benchmarks: one Shard fed hand-made packets.

import type { CaptureStats } from "../../capture/pcap_handle.ts";
import type { SourceOptions } from "../../capture/source.ts";
import type { FlowConfig } from "../../flows/flow_config.ts";
import type { FlowEngine } from "../../flows/flow_engine.ts";
import type { PacketCounters } from "../../flows/packet_counters.ts";
import { type MonitorLike, QueryError } from "../../pipeline/monitor.ts";
import type {
  CaptureFigures,
  CaptureState,
  ShardAnswers,
  ShardRequest,
} from "../../pipeline/protocol.ts";
import { Shard, shardError } from "../../pipeline/shard.ts";
import { batchOf, type TestPacket } from "./packets.ts";

/** A MonitorLike answering from a Shard on this thread; tests set its fields directly. */
export class LocalMonitor implements MonitorLike {
  source: SourceOptions = { kind: "interface", device: "test0" };
  readonly shard: Shard;
  state: CaptureState = "running";
  error?: MonitorLike["error"];
  info = { name: "test0", kind: "interface" as const, linkType: "EN10MB", dlt: 1, snaplen: 256 };
  restarts = 0;
  stats?: CaptureStats = { received: 0, droppedByKernel: 0, droppedByInterface: 0 };
  overruns = 0;
  packetsPerSecond = 0;
  uptimeSec = 1;
  /** The clock; defaults to the engine's latest packet. */
  clock?: number;

  constructor(config: Partial<FlowConfig> = {}) {
    this.shard = new Shard(config);
  }

  /** The shard's engine (tests look inside; the server never does). */
  get engine(): FlowEngine {
    return this.shard.engine;
  }

  get counters(): PacketCounters {
    return this.shard.counters;
  }

  get nowSec(): number {
    return this.clock ?? this.shard.engine.now;
  }

  get capture(): CaptureFigures {
    const c = this.shard.counters;
    return {
      packets: c.packets,
      bytes: c.bytes,
      malformed: c.malformed,
      truncated: c.truncated,
      stats: this.stats,
      overruns: this.overruns,
      packetsPerSecond: this.packetsPerSecond,
    };
  }

  ask<R extends ShardRequest>(request: R): Promise<ShardAnswers[R["op"]]> {
    try {
      return Promise.resolve(this.shard.answer(request, this.nowSec));
    } catch (error) {
      return Promise.reject(new QueryError(shardError(error)));
    }
  }

  /** Accounts packets as a capture would. */
  add(packets: TestPacket[]): void {
    this.shard.add(batchOf(packets));
  }
}

/**
 * A small, varied traffic sample at `t0`: HTTPS and SSH over TCP, DNS over UDP, ICMP ping,
 * IPv6, a VLAN-tagged flow. Returns the monitor with it accounted.
 */
export function sampleMonitor(t0 = 1_700_000_000): LocalMonitor {
  const m = new LocalMonitor();
  const p: TestPacket[] = [];
  // 10.0.0.1 -> 10.0.0.2:443, handshake then data
  p.push({
    ts: t0,
    src: "10.0.0.1",
    dst: "10.0.0.2",
    sport: 40000,
    dport: 443,
    tcp: 0x02,
    len: 60,
  });
  p.push({
    ts: t0 + 0.01,
    src: "10.0.0.2",
    dst: "10.0.0.1",
    sport: 443,
    dport: 40000,
    tcp: 0x12,
    len: 60,
  });
  for (let i = 0; i < 20; i++) {
    p.push({
      ts: t0 + 0.1 + i * 0.1,
      src: "10.0.0.2",
      dst: "10.0.0.1",
      sport: 443,
      dport: 40000,
      tcp: 0x10,
      len: 1500,
    });
  }
  // SSH 10.0.0.3 -> 10.0.0.2:22
  p.push({
    ts: t0 + 1,
    src: "10.0.0.3",
    dst: "10.0.0.2",
    sport: 50000,
    dport: 22,
    tcp: 0x02,
    len: 60,
  });
  p.push({
    ts: t0 + 1.01,
    src: "10.0.0.2",
    dst: "10.0.0.3",
    sport: 22,
    dport: 50000,
    tcp: 0x12,
    len: 60,
  });
  p.push({
    ts: t0 + 1.02,
    src: "10.0.0.3",
    dst: "10.0.0.2",
    sport: 50000,
    dport: 22,
    tcp: 0x10,
    len: 200,
  });
  // DNS
  p.push({
    ts: t0 + 2,
    src: "10.0.0.1",
    dst: "8.8.8.8",
    proto: 17,
    sport: 5353,
    dport: 53,
    len: 80,
  });
  p.push({
    ts: t0 + 2.02,
    src: "8.8.8.8",
    dst: "10.0.0.1",
    proto: 17,
    sport: 53,
    dport: 5353,
    len: 120,
  });
  // ICMP echo request/reply (type 8 / 0)
  p.push({ ts: t0 + 2.5, src: "10.0.0.1", dst: "10.0.0.9", proto: 1, sport: 8, dport: 0, len: 98 });
  // IPv6 HTTP
  p.push({
    ts: t0 + 2.6,
    src: "2001:db8::1",
    dst: "2001:db8::2",
    sport: 41000,
    dport: 80,
    tcp: 0x02,
    len: 80,
  });
  // VLAN 42 UDP
  p.push({
    ts: t0 + 2.7,
    src: "192.168.1.5",
    dst: "192.168.1.6",
    proto: 17,
    sport: 1234,
    dport: 5678,
    vlan: 42,
    len: 300,
  });
  m.add(p);
  return m;
}
