// Tests for the flow engine's lifecycle: timeouts, active timeout, eviction, keys, counting.

import assert from "node:assert/strict";
import { PacketKind } from "../capture/packet_batch.ts";
import { EndReason, FlowEngine } from "./flow_engine.ts";
import { type FlowRecord, flowRecord } from "./flow_record.ts";
import { batchOf, type TestPacket } from "../tests/helpers/packets.ts";

function udp(ts: number, src = "10.0.0.1", dst = "10.0.0.2", len = 100): TestPacket {
  return { ts, src, dst, proto: 17, sport: 5000, dport: 53, len };
}

Deno.test("both directions of a conversation are one flow", () => {
  const engine = new FlowEngine();
  engine.add(batchOf([
    udp(1, "10.0.0.9", "10.0.0.2"),
    { ts: 2, src: "10.0.0.2", dst: "10.0.0.9", proto: 17, sport: 53, dport: 5000, len: 300 },
  ]));
  const [f] = engine.activeRecords();
  assert.deepEqual(
    [f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.packets_c2s, f.bytes_s2c, f.state, f.service],
    ["10.0.0.9", 5000, "10.0.0.2", 53, 1, 300, "SF", "dns"],
  );
  assert.equal(engine.table.count, 1);
});

Deno.test("tick() ends a flow idle past its protocol's timeout, in packet time", () => {
  const ended: FlowRecord[] = [];
  const engine = new FlowEngine({
    udpTimeoutSec: 60,
    onFlowEnd: (store, slot, reason) => {
      assert.equal(reason, EndReason.Idle);
      ended.push(flowRecord(store, slot, false));
    },
  });
  engine.add(batchOf([udp(1000)]));
  engine.tick(1060);
  assert.equal(engine.table.count, 1, "60 s idle is not past a 60 s timeout");
  engine.tick(1060.5);
  assert.equal(engine.table.count, 0);
  assert.equal(ended.length, 1);
  assert.equal(engine.history.count, 1);
  assert.equal(engine.endedRecords()[0].active, false);
});

Deno.test("a 5-tuple seen across a gap longer than its timeout gives two records", () => {
  const engine = new FlowEngine({ udpTimeoutSec: 60 });
  engine.add(batchOf([udp(1000), udp(1010), udp(1100), udp(1101)])); // no tick in between
  const ended = engine.endedRecords();
  const active = engine.activeRecords();
  assert.equal(ended.length, 1);
  assert.equal(active.length, 1);
  assert.deepEqual([ended[0].packets_c2s, ended[0].first_ts, ended[0].last_ts], [2, 1000, 1010]);
  assert.deepEqual([active[0].packets_c2s, active[0].first_ts], [2, 1100]);
  assert.notEqual(ended[0].id, active[0].id);
});

Deno.test("closed TCP flows get the short timeout; open ones the long one", () => {
  const engine = new FlowEngine({ tcpTimeoutSec: 300, tcpClosedTimeoutSec: 10 });
  const t = (ts: number, sport: number, tcp: number, up = true): TestPacket =>
    up
      ? { ts, src: "10.0.0.2", dst: "10.0.0.1", sport, dport: 80, tcp }
      : { ts, src: "10.0.0.1", dst: "10.0.0.2", sport: 80, dport: sport, tcp };
  engine.add(batchOf([
    t(0, 1, 2), // SYN, then nothing: stays open
    t(0, 2, 2),
    t(0.1, 2, 4 | 16, false), // RST-ACK: closed
  ]));
  engine.tick(11);
  assert.deepEqual(engine.endedRecords().map((f) => f.state), ["REJ"]);
  engine.tick(301);
  assert.deepEqual(engine.endedRecords().map((f) => f.state), ["REJ", "S0"]);
});

Deno.test("the active timeout splits a long flow, keeping its orientation", () => {
  const engine = new FlowEngine({ activeTimeoutSec: 100, udpTimeoutSec: 60 });
  const packets: TestPacket[] = [];
  for (let t = 0; t <= 250; t += 10) packets.push(udp(1000 + t, "10.0.0.9", "10.0.0.2"));
  engine.add(batchOf(packets));
  const records = [...engine.endedRecords(), ...engine.activeRecords()];
  assert.deepEqual(records.map((f) => [f.first_ts - 1000, f.last_ts - 1000]), [
    [0, 100],
    [110, 210],
    [220, 250],
  ]);
  assert.ok(records.every((f) => f.src_ip === "10.0.0.9"));
  assert.equal(engine.endedActive, 2);
  assert.equal(records.reduce((n, f) => n + f.packets_c2s, 0), 26);
});

Deno.test("when full, the least recently seen flow is evicted and counted", () => {
  const engine = new FlowEngine({ maxActiveFlows: 3 });
  engine.add(batchOf([
    udp(1, "10.0.0.1"),
    udp(2, "10.0.0.2"),
    udp(3, "10.0.0.3"),
    udp(4, "10.0.0.1"), // refreshes flow 1: flow 2 is now the least recent
    udp(5, "10.0.0.4"),
  ]));
  assert.equal(engine.evicted, 1);
  assert.equal(engine.table.count, 3);
  assert.deepEqual(engine.endedRecords().map((f) => f.src_ip), ["10.0.0.2"]);
  assert.deepEqual(
    engine.activeRecords().map((f) => f.src_ip).sort(),
    ["10.0.0.1", "10.0.0.3", "10.0.0.4"],
  );
});

Deno.test("eviction picks the least recent flow across protocol classes", () => {
  const engine = new FlowEngine({ maxActiveFlows: 2 });
  engine.add(batchOf([
    { ts: 1, src: "10.0.0.1", dst: "10.0.0.2", proto: 47, sport: 0, dport: 0 },
    udp(2),
    { ts: 3, src: "10.0.0.1", dst: "10.0.0.2", proto: 17, sport: 9, dport: 80 },
  ]));
  assert.deepEqual(engine.endedRecords().map((f) => f.proto), ["gre"]);
});

Deno.test("the table grows past its initial size and finds every flow again", () => {
  const engine = new FlowEngine({ maxActiveFlows: 20_000 });
  const packets: TestPacket[] = [];
  for (let n = 0; n < 10_000; n++) {
    packets.push({ ts: 1, src: "10.0.0.1", dst: "10.1.0.1", proto: 17, sport: n, dport: 9 });
  }
  engine.add(batchOf(packets));
  engine.add(
    batchOf(
      packets.map((p) => ({ ...p, ts: 2, src: p.dst, dst: p.src, sport: 9, dport: p.sport })),
    ),
  );
  assert.equal(engine.table.count, 10_000);
  assert.ok(engine.activeRecords().every((f) => f.packets_c2s === 1 && f.packets_s2c === 1));
});

Deno.test("VLANs and protocols keep otherwise equal conversations apart", () => {
  const engine = new FlowEngine();
  engine.add(batchOf([
    { ...udp(1), vlan: 10 },
    { ...udp(1), vlan: 20 },
    udp(1),
    { ...udp(1), proto: 6 },
  ]));
  const vlans = engine.activeRecords().map((f) => `${f.proto}/${f.vlan}`).sort();
  assert.deepEqual(vlans, ["tcp/null", "udp/10", "udp/20", "udp/null"]);
});

Deno.test("non-first fragments form their own port-less flow, apart from the 5-tuple", () => {
  const engine = new FlowEngine();
  engine.add(batchOf([udp(1), { ...udp(1.1), fragment: true, len: 1500 }]));
  const flows = engine.activeRecords().sort((a, b) => a.id - b.id);
  assert.deepEqual(
    flows.map((f) => [f.proto, f.src_port, f.dst_port, f.no_ports, f.bytes_c2s]),
    [["udp", 5000, 53, false, 100], ["udp", 0, 0, true, 1500]],
  );
});

Deno.test("non-IP frames are counted and make no flow", () => {
  const engine = new FlowEngine();
  engine.add(batchOf([{ ...udp(1), kind: PacketKind.NonIp }, udp(2)]));
  assert.equal(engine.nonFlowPackets, 1);
  assert.equal(engine.table.count, 1);
  assert.equal(engine.packets, 2);
});

Deno.test("ICMP echo request and reply are one flow, oriented from the requester", () => {
  const engine = new FlowEngine();
  engine.add(batchOf([
    { ts: 1, src: "192.168.0.1", dst: "192.168.0.89", proto: 1, sport: 0, dport: 0 }, // reply
    { ts: 2, src: "192.168.0.89", dst: "192.168.0.1", proto: 1, sport: 8, dport: 0 }, // request
    { ts: 3, src: "2001:db8::2", dst: "2001:db8::1", proto: 58, sport: 128, dport: 0 },
    { ts: 4, src: "2001:db8::1", dst: "2001:db8::2", proto: 58, sport: 129, dport: 0 },
  ]));
  const flows = engine.activeRecords().sort((a, b) => a.id - b.id);
  assert.deepEqual(
    flows.map((f) => [f.proto, f.src_ip, f.src_port, f.packets_c2s, f.packets_s2c]),
    [["icmp", "192.168.0.89", 8, 1, 1], ["icmpv6", "2001:db8::2", 128, 1, 1]],
  );
});

Deno.test("history keeps at most its cap and drops records past the retention", () => {
  const engine = new FlowEngine({
    maxHistoryRecords: 2,
    historyRetentionSec: 100,
    udpTimeoutSec: 1,
  });
  engine.add(batchOf([udp(0, "10.0.0.1"), udp(0, "10.0.0.2"), udp(0, "10.0.0.3")]));
  engine.tick(5);
  assert.equal(engine.history.count, 2);
  assert.equal(engine.history.dropped, 1);
  engine.add(batchOf([udp(50, "10.0.0.4")]));
  engine.tick(60);
  assert.equal(engine.history.count, 3 - 1);
  engine.tick(101);
  assert.deepEqual(engine.endedRecords().map((f) => f.src_ip), ["10.0.0.4"]);
  assert.deepEqual([engine.history.dropped, engine.history.expired], [2, 1]);
});

Deno.test("flowById() finds active and ended records", () => {
  const engine = new FlowEngine({ udpTimeoutSec: 1 });
  engine.add(batchOf([udp(0, "10.0.0.1")]));
  engine.tick(5);
  engine.add(batchOf([udp(6, "10.0.0.2")]));
  const [ended] = engine.endedRecords();
  const [active] = engine.activeRecords();
  assert.equal(engine.flowById(ended.id)?.src_ip, "10.0.0.1");
  assert.equal(engine.flowById(active.id)?.active, true);
  assert.equal(engine.flowById(12345), undefined);
});
