// Tests for the per-class packet totals.

import assert from "node:assert/strict";
import { Flag, PacketBatch, PacketKind, TunnelKind } from "../capture/packet_batch.ts";
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

Deno.test("PacketCounters counts a tunnelled packet by its outer header, and the tunnel", () => {
  const batch = new PacketBatch(4);
  // GRE (outer IPv4, protocol 47) carrying IPv6 TCP: one IPv4 packet of other L4.
  packet(batch, PacketKind.Ipv6, Flag.L4 | Flag.Ports, 6, 120);
  batch.tunnel[0] = TunnelKind.Gre;
  batch.outerKind[0] = PacketKind.Ipv4;
  batch.outerProto[0] = 47;
  batch.outerFlags[0] = Flag.L4;
  // VXLAN (outer IPv4 UDP) whose inner TCP header was cut short, nested too deep to finish.
  packet(batch, PacketKind.Ipv4, Flag.L4 | Flag.Truncated | Flag.TunnelLimit, 4, 90);
  batch.tunnel[1] = TunnelKind.Vxlan;
  batch.outerKind[1] = PacketKind.Ipv4;
  batch.outerProto[1] = 17;
  batch.outerFlags[1] = Flag.L4 | Flag.Ports;
  // A later fragment of a GTP-U packet is not taken out: it counts as it is.
  packet(batch, PacketKind.Ipv6, Flag.Fragment | Flag.NonFirstFragment, 17, 1280);
  batch.outerFlags[2] = Flag.Malformed; // left by an earlier packet: no tunnel, so not read
  const c = new PacketCounters();
  c.add(batch);
  assert.deepEqual([c.ipv4, c.ipv6, c.tcp, c.udp, c.otherL4, c.nonFirstFragments], [
    2,
    1,
    0,
    1,
    1,
    1,
  ]);
  assert.deepEqual([c.tunnelled, c.byTunnel[TunnelKind.Gre], c.byTunnel[TunnelKind.Vxlan]], [
    2,
    1,
    1,
  ]);
  assert.deepEqual([c.truncated, c.malformed, c.tunnelsTooDeep], [1, 0, 1]);
});
