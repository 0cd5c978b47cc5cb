// Tests for the per-class packet totals.

import assert from "node:assert/strict";
import { Flag, PacketBatch, PacketKind } from "../capture/packet_batch.ts";
import { PacketCounters } from "./packet_counters.ts";

function packet(batch: PacketBatch, kind: number, flags: number, proto: number, len: number) {
  const i = batch.count++;
  batch.kind[i] = kind;
  batch.flags[i] = flags;
  batch.proto[i] = proto;
  batch.wireLen[i] = len;
  batch.tsSec[i] = 1000 + i;
  batch.tsNsec[i] = 5;
}

Deno.test("PacketCounters.add() classifies by the outermost header and transport", () => {
  const batch = new PacketBatch(16);
  packet(batch, PacketKind.Ipv4, Flag.L4 | Flag.Ports, 6, 100); // TCP
  packet(batch, PacketKind.Ipv6, Flag.L4 | Flag.Ports, 17, 80); // UDP
  packet(batch, PacketKind.Ipv6, Flag.L4 | Flag.Ports, 58, 70); // ICMPv6
  packet(batch, PacketKind.Ipv4, Flag.L4, 47, 60); // GRE
  packet(batch, PacketKind.Ipv4, Flag.Fragment | Flag.NonFirstFragment, 17, 1500);
  packet(batch, PacketKind.Ipv4, Flag.L4 | Flag.Truncated, 6, 40); // TCP, ports cut off
  packet(batch, PacketKind.NonIp, 0, 0, 42); // ARP
  packet(batch, PacketKind.Invalid, Flag.Malformed, 0, 34);
  packet(batch, PacketKind.Undecoded, 0, 0, 10);
  const c = new PacketCounters();
  c.add(batch);
  assert.deepEqual(
    [c.packets, c.bytes, c.ipv4, c.ipv6, c.nonIp, c.undecoded],
    [9, 1936, 4, 2, 1, 1],
  );
  assert.deepEqual([c.tcp, c.udp, c.icmp, c.otherL4, c.nonFirstFragments], [2, 1, 1, 1, 1]);
  assert.deepEqual([c.malformed, c.truncated], [1, 1]);
  assert.deepEqual([c.firstSec, c.firstNsec, c.lastSec, c.lastNsec], [1000, 5, 1008, 5]);
});

Deno.test("PacketCounters keeps the first timestamp across batches", () => {
  const c = new PacketCounters();
  for (let b = 0; b < 2; b++) {
    const batch = new PacketBatch(2);
    packet(batch, PacketKind.NonIp, 0, 0, 60);
    batch.tsSec[0] = 50 + b;
    c.add(batch);
    c.add(new PacketBatch(1)); // empty batches change nothing
  }
  assert.deepEqual([c.packets, c.firstSec, c.lastSec], [2, 50, 51]);
});
