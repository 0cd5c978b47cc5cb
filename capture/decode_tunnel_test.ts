// Tunnel tests: every tunnel form described by the packet it carries, what is not taken out
// (and stays as its outer header says), nesting limits, and every truncation of every form.

import assert from "node:assert/strict";
import {
  decodeOne,
  eth,
  frame,
  INNER_TCP,
  ipv4,
  ipv6,
  OUTER6_DST,
  OUTER6_SRC,
  OUTER_DST,
  OUTER_SRC,
  udp,
} from "../tests/helpers/frames.ts";
import { TUNNEL_SAMPLES } from "../tests/helpers/tunnel_frames.ts";
import { MAX_TUNNELS } from "./decode_link.ts";
import { LinkDecoder } from "./link_types.ts";
import { Flag, PacketKind, TunnelKind, tunnelName } from "./packet_batch.ts";

const udp4 = (sport: number, dport: number, payload: string) =>
  eth("0800", ipv4(17, OUTER_SRC, OUTER_DST, udp(sport, dport, payload)));

for (const sample of TUNNEL_SAMPLES) {
  Deno.test(`decodeFrame() describes a packet in ${sample.name} by the packet inside`, () => {
    const got = decodeOne(sample.decoder, frame(sample.dump));
    const inner = decodeOne(LinkDecoder.RawIp, frame(sample.inner));
    assert.equal(got.tunnel, sample.tunnel, tunnelName(got.tunnel));
    assert.deepEqual(
      [got.kind, got.src, got.dst, got.proto, got.srcPort, got.dstPort, got.payload, got.tcpSeq],
      [
        inner.kind,
        inner.src,
        inner.dst,
        inner.proto,
        inner.srcPort,
        inner.dstPort,
        inner.payload,
        inner.tcpSeq,
      ],
    );
    assert.ok(inner.payload, "the inner packet has a payload to find");
    assert.equal(got.flags & ~Flag.Vlan, inner.flags);
    // The outer header is kept for the per-packet counts.
    assert.ok(got.outer);
    assert.ok(got.outer.kind === PacketKind.Ipv4 || got.outer.kind === PacketKind.Ipv6);
    assert.ok(got.outer.flags & Flag.L4);
    assert.equal(got.outer.proto, sample.outerProto);
  });
}

Deno.test("decodeFrame() keeps a VXLAN packet's outer header, VLAN and payload in full", () => {
  // Outer VLAN 7; the inner frame's own tag (VLAN 5) does not replace it.
  const tagged = frame(eth(
    "8100 0007 0800",
    ipv4(
      17,
      OUTER_SRC,
      OUTER_DST,
      udp(
        51000,
        4789,
        `
    08000000 00006400 # VXLAN: I flag, VNI 100
    ${eth("8100 0005 0800", INNER_TCP)}`,
      ),
    ),
  ));
  assert.deepEqual(decodeOne(LinkDecoder.Ethernet, tagged), {
    kind: PacketKind.Ipv4,
    flags: Flag.Vlan | Flag.L4 | Flag.Ports,
    src: "10.1.1.1",
    dst: "10.2.2.2",
    proto: 6,
    srcPort: 40000,
    dstPort: 443,
    vlan: 7,
    tunnel: TunnelKind.Vxlan,
    outer: { kind: PacketKind.Ipv4, proto: 17, flags: Flag.Vlan | Flag.L4 | Flag.Ports },
    payload: "deadbeef",
    tcpSeq: 100,
  });
  // Untagged outside: the inner tag is the frame's VLAN.
  const untagged = frame(
    udp4(51000, 4789, `08000000 00006400 ${eth("8100 0005 0800", INNER_TCP)}`),
  );
  assert.equal(decodeOne(LinkDecoder.Ethernet, untagged).vlan, 5);
});

Deno.test("decodeFrame() keeps the outer header when a tunnel carries no IP packet", () => {
  const arp = "0001 0800 0604 0001 66778899aabb c0a80101 000000000000 c0a80102";
  const cases: [string, string][] = [
    ["VXLAN carrying ARP", udp4(51000, 4789, `08000000 00006400 ${eth("0806", arp)}`)],
    ["VXLAN without the I flag", udp4(51000, 4789, `00000000 00006400 ${eth("0800", INNER_TCP)}`)],
    [
      "VXLAN carrying IP version 5",
      udp4(51000, 4789, `08000000 00006400 ${eth("0800", "55")}${INNER_TCP.slice(2)}`),
    ],
    ["a GTP echo request", udp4(2152, 2152, "32010004 00000000 12340000")],
    ["GTPv2 (control)", udp4(2152, 2152, `48200008 00000000 ${INNER_TCP}`)],
    [
      "GRE with source routing",
      eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, `4000 0800 00000000 ${INNER_TCP}`)),
    ],
    ["a GRE keep-alive", eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, "0000 0800"))],
    ["GRE version 2", eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, `0002 0800 ${INNER_TCP}`))],
    ["CAPWAP DTLS", udp4(12380, 5247, `01000000 ${INNER_TCP}`)],
    ["a CAPWAP keep-alive", udp4(12380, 5247, "00100208 00000000")],
    ["a CAPWAP fragment", udp4(12380, 5247, `00100280 00010000 ${eth("0800", INNER_TCP)}`)],
    ["Teredo carrying IPv4", udp4(3544, 50000, INNER_TCP)],
    [
      "IP-in-IP cut inside the inner header",
      eth("0800", ipv4(4, OUTER_SRC, OUTER_DST, INNER_TCP.slice(0, 30))),
    ],
  ];
  for (const [what, dump] of cases) {
    const got = decodeOne(LinkDecoder.Ethernet, frame(dump));
    assert.equal(got.tunnel, TunnelKind.None, what);
    assert.deepEqual(
      [got.kind, got.src, got.dst],
      [PacketKind.Ipv4, "192.168.0.1", "192.168.0.2"],
      what,
    );
    assert.equal(got.outer, undefined, what);
  }
});

Deno.test(`decodeFrame() takes off ${MAX_TUNNELS} nested tunnels and flags a deeper one`, () => {
  let dump = INNER_TCP;
  for (let n = 0; n < MAX_TUNNELS; n++) dump = ipv4(4, "0a090909", "0a080808", dump);
  const deepest = decodeOne(LinkDecoder.RawIp, frame(dump));
  assert.deepEqual([deepest.tunnel, deepest.src, deepest.dstPort], [
    TunnelKind.IpIp,
    "10.1.1.1",
    443,
  ]);
  assert.equal(deepest.flags & Flag.TunnelLimit, 0);
  const tooDeep = decodeOne(LinkDecoder.RawIp, frame(ipv4(4, "0a090909", "0a080808", dump)));
  assert.equal(tooDeep.tunnel, TunnelKind.IpIp);
  assert.ok(tooDeep.flags & Flag.TunnelLimit);
  // Described by the innermost header reached, itself IP-in-IP.
  assert.deepEqual([tooDeep.kind, tooDeep.src, tooDeep.proto], [PacketKind.Ipv4, "10.9.9.9", 4]);
});

Deno.test("decodeFrame() takes a tunnel out of a first fragment, not out of a later one", () => {
  const first = decodeOne(
    LinkDecoder.Ethernet,
    frame(eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, `0000 0800 ${INNER_TCP}`, "2000"))),
  );
  assert.equal(first.tunnel, TunnelKind.Gre);
  assert.equal(first.dstPort, 443);
  assert.deepEqual(first.outer, {
    kind: PacketKind.Ipv4,
    proto: 47,
    flags: Flag.Fragment | Flag.L4,
  });
  const later = decodeOne(
    LinkDecoder.Ethernet,
    frame(eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, `0000 0800 ${INNER_TCP}`, "00b9"))),
  );
  assert.equal(later.tunnel, TunnelKind.None);
  assert.equal(later.flags, Flag.Fragment | Flag.NonFirstFragment);
});

Deno.test("decodeFrame() reads a 4in6 packet's outer IPv6 header as its outer class", () => {
  const got = decodeOne(LinkDecoder.RawIpv6, frame(ipv6(4, OUTER6_SRC, OUTER6_DST, INNER_TCP)));
  assert.deepEqual(got.outer, { kind: PacketKind.Ipv6, proto: 4, flags: Flag.L4 });
  assert.equal(got.tunnel, TunnelKind.Ip4in6);
});

for (const sample of TUNNEL_SAMPLES) {
  Deno.test(`decodeFrame() handles ${sample.name} cut short at every byte`, () => {
    const whole = frame(sample.dump);
    const full = decodeOne(sample.decoder, whole);
    // The tunnel comes off when the IP header it carries is whole; the packet is described
    // by the innermost one once that is whole too.
    const headerEnd = (packet: string) => {
      const bytes = frame(packet);
      return whole.length - bytes.length + (bytes[0] >> 4 === 6 ? 40 : 20);
    };
    const comesOff = headerEnd(sample.carrier ?? sample.inner);
    const innermost = headerEnd(sample.inner);
    for (let cut = 0; cut < whole.length; cut++) {
      const got = decodeOne(sample.decoder, whole.slice(0, cut));
      assert.equal(got.tunnel, cut >= comesOff ? sample.tunnel : TunnelKind.None, `cut ${cut}`);
      if (got.tunnel) {
        assert.deepEqual(got.outer, full.outer, `cut ${cut}`);
        assert.ok(got.kind === PacketKind.Ipv4 || got.kind === PacketKind.Ipv6, `cut ${cut}`);
      }
      if (cut >= innermost) {
        assert.deepEqual([got.src, got.dst], [full.src, full.dst], `cut ${cut}`);
        if (got.payload) assert.ok(full.payload?.startsWith(got.payload), `cut ${cut}`);
      } else if (!got.tunnel && (got.kind === PacketKind.Ipv4 || got.kind === PacketKind.Ipv6)) {
        assert.ok(got.src === "192.168.0.1" || got.src === "2001:db8:ffff::1", `cut ${cut}`);
      }
    }
  });
}
