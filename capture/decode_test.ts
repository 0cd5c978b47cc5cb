// Decoder tests: hand-built frames, each header commented, decoded into a PacketBatch slot.

import assert from "node:assert/strict";
import { hex, PcapWriter } from "../tests/helpers/pcap_file.ts";
import { netwatchInnermost, tsharkInnermost } from "../tests/helpers/tshark_inner.ts";
import { decodeFrame } from "./decode_link.ts";
import { formatAddress } from "./ip_address.ts";
import { LinkDecoder } from "./link_types.ts";
import { Flag, PacketBatch, PacketKind } from "./packet_batch.ts";

const ETH = "001122334455 66778899aabb"; // destination, source MAC
const IPV6_ADDRS = "20010db8000000000000000000000001 20010db8000000000000000000000002";

interface Decoded {
  kind: number;
  flags: number;
  proto?: number;
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  vlan?: number;
  tcpFlags?: number;
}

/** Decodes `frame` with `decoder` and returns the slot's fields that matter for it. */
function decode(decoder: number, frame: Uint8Array<ArrayBuffer>): Decoded {
  const batch = new PacketBatch(1);
  decodeFrame(frame, new DataView(frame.buffer), 0, frame.length, decoder, batch, 0);
  const out: Decoded = { kind: batch.kind[0], flags: batch.flags[0] };
  const ip = batch.kind[0] === PacketKind.Ipv4 ? 4 : batch.kind[0] === PacketKind.Ipv6 ? 6 : 0;
  if (ip) {
    out.src = formatAddress(ip, batch.src, 0);
    out.dst = formatAddress(ip, batch.dst, 0);
    if (batch.flags[0] & (Flag.L4 | Flag.NonFirstFragment)) out.proto = batch.proto[0];
  }
  if (batch.flags[0] & Flag.Ports) {
    out.srcPort = batch.srcPort[0];
    out.dstPort = batch.dstPort[0];
  }
  if (batch.flags[0] & Flag.Vlan) out.vlan = batch.vlan[0];
  if (batch.tcpFlags[0]) out.tcpFlags = batch.tcpFlags[0];
  return out;
}

Deno.test("decodeFrame() reads Ethernet, IPv4 and a TCP SYN", () => {
  const frame = hex(`
    ${ETH} 0800
    # IPv4: v4 ihl 5, tos, total 60, id, DF, ttl 64, proto 6, checksum, 192.168.0.1 > 192.168.0.199
    4500 003c 1c46 4000 4006 0000 c0a80001 c0a800c7
    # TCP: 50000 > 80, seq, ack, data offset 10 + SYN, window, checksum, urgent, 20 option bytes
    c350 0050 00000001 00000000 a002 7210 0000 0000
    020405b40402080a0000000000000000 01030307`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, frame), {
    kind: PacketKind.Ipv4,
    flags: Flag.L4 | Flag.Ports,
    proto: 6,
    src: "192.168.0.1",
    dst: "192.168.0.199",
    srcPort: 50000,
    dstPort: 80,
    tcpFlags: 0x02,
  });
});

Deno.test("decodeFrame() keeps the outer VLAN id of a QinQ frame and reads IPv6 UDP", () => {
  const frame = hex(`
    ${ETH} 88a8
    0064 8100 # 802.1ad tag: VLAN 100, then an 802.1Q tag
    00c8 86dd # 802.1Q tag: VLAN 200, then IPv6
    # IPv6: version 6, payload 16, next header UDP, hop limit 64
    60000000 0010 11 40 ${IPV6_ADDRS}
    1234 0035 0010 0000 0000000000000000 # UDP 4660 > 53`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, frame), {
    kind: PacketKind.Ipv6,
    flags: Flag.Vlan | Flag.L4 | Flag.Ports,
    proto: 17,
    src: "2001:db8::1",
    dst: "2001:db8::2",
    srcPort: 4660,
    dstPort: 53,
    vlan: 100,
  });
});

Deno.test("decodeFrame() walks IPv6 hop-by-hop and a first fragment to UDP", () => {
  const frame = hex(`
    60000000 0020 00 40 ${IPV6_ADDRS} # next header: hop-by-hop
    2c00 0104 00000000 # hop-by-hop: next fragment, 8 bytes, PadN
    1100 0001 12345678 # fragment: next UDP, offset 0, M set
    1234 0035 0010 0000`);
  assert.deepEqual(decode(LinkDecoder.RawIpv6, frame), {
    kind: PacketKind.Ipv6,
    flags: Flag.Fragment | Flag.L4 | Flag.Ports,
    proto: 17,
    src: "2001:db8::1",
    dst: "2001:db8::2",
    srcPort: 4660,
    dstPort: 53,
  });
});

Deno.test("decodeFrame() marks a later IPv6 fragment and reads no ports from it", () => {
  const frame = hex(`
    60000000 0010 2c 40 ${IPV6_ADDRS}
    1100 05c8 12345678 # fragment: next UDP, offset 185 (x8 = 1480 bytes), M clear
    deadbeefdeadbeef`);
  assert.deepEqual(decode(LinkDecoder.RawIp, frame), {
    kind: PacketKind.Ipv6,
    flags: Flag.Fragment | Flag.NonFirstFragment,
    proto: 17,
    src: "2001:db8::1",
    dst: "2001:db8::2",
  });
});

Deno.test("decodeFrame() marks a later IPv4 fragment and reads no ports from it", () => {
  const frame = hex(`
    ${ETH} 0800
    4500 0024 abcd 00b9 4011 0000 0a000001 0a000002 # offset 185, proto UDP
    01020304050607080910111213141516`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, frame), {
    kind: PacketKind.Ipv4,
    flags: Flag.Fragment | Flag.NonFirstFragment,
    proto: 17,
    src: "10.0.0.1",
    dst: "10.0.0.2",
  });
});

Deno.test("decodeFrame() reads Linux cooked v2 with an ICMP echo request", () => {
  const frame = hex(`
    0800 0000 00000002 0001 00 06 0011223344550000 # SLL2: IPv4, ifindex 2, Ethernet, 6-byte addr
    4500 001c 0001 0000 4001 0000 7f000001 7f000002
    0800 f7ff 0000 0000 # ICMP type 8 code 0`);
  assert.deepEqual(decode(LinkDecoder.LinuxSll2, frame), {
    kind: PacketKind.Ipv4,
    flags: Flag.L4 | Flag.Ports,
    proto: 1,
    src: "127.0.0.1",
    dst: "127.0.0.2",
    srcPort: 8,
    dstPort: 0,
  });
});

Deno.test("decodeFrame() reads Linux cooked v1 carrying IPv6", () => {
  const frame = hex(`
    0000 0001 0006 001122334455 0000 86dd # SLL: to us, Ethernet, 6-byte addr, IPv6
    60000000 0008 11 40 ${IPV6_ADDRS}
    0035 1234 0008 0000`);
  assert.equal(decode(LinkDecoder.LinuxSll, frame).srcPort, 53);
});

Deno.test("decodeFrame() reads a BSD loopback family in either byte order", () => {
  const ipv6Tcp = `60000000 0014 06 40 ${IPV6_ADDRS}
    c350 01bb 00000000 00000000 5012 ffff 0000 0000 # TCP SYN+ACK to 443`;
  const want = {
    kind: PacketKind.Ipv6,
    flags: Flag.L4 | Flag.Ports,
    proto: 6,
    src: "2001:db8::1",
    dst: "2001:db8::2",
    srcPort: 50000,
    dstPort: 443,
    tcpFlags: 0x12,
  };
  assert.deepEqual(decode(LinkDecoder.Null, hex(`1e000000 ${ipv6Tcp}`)), want); // AF 30, LE
  assert.deepEqual(decode(LinkDecoder.Null, hex(`0000001e ${ipv6Tcp}`)), want); // AF 30, BE
  assert.deepEqual(decode(LinkDecoder.Loop, hex(`0000001e ${ipv6Tcp}`)), want);
  assert.equal(decode(LinkDecoder.Null, hex(`07000000 ${ipv6Tcp}`)).kind, PacketKind.NonIp);
});

Deno.test("decodeFrame() skips an MPLS label stack to IPv4", () => {
  const frame = hex(`
    ${ETH} 8847
    00010040 # label 16, not bottom of stack, TTL 64
    00011140 # label 17, bottom of stack
    4500 001c 0000 0000 4011 0000 0a000001 0a000002
    0044 0043 0008 0000 # UDP 68 > 67`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, frame).dstPort, 67);
});

Deno.test("decodeFrame() reads IPv6 inside a PPPoE session", () => {
  const frame = hex(`
    ${ETH} 8864
    1100 0001 001e 0057 # PPPoE v1 session 1, length 30; PPP protocol IPv6
    60000000 0008 11 40 ${IPV6_ADDRS}
    1234 0035 0008 0000`);
  assert.equal(decode(LinkDecoder.Ethernet, frame).kind, PacketKind.Ipv6);
});

Deno.test("decodeFrame() finds the packet in an NFLOG payload TLV", () => {
  const frame = hex(`
    02 00 0000 # NFLOG: AF_INET, version 0, resource 0
    0800 0100 08000000 # TLV length 8 (little-endian), type 1 (packet header)
    2000 0900 # TLV length 32, type 9 (payload)
    4500 001c 0000 0000 4011 0000 0a000001 0a000002
    0044 0043 0008 0000`);
  assert.equal(decode(LinkDecoder.Nflog, frame).srcPort, 68);
  const zeroLength = hex(`02 00 0000 0000 0900`); // a TLV claiming 0 bytes must not loop
  assert.deepEqual(decode(LinkDecoder.Nflog, zeroLength), {
    kind: PacketKind.Invalid,
    flags: Flag.Malformed,
  });
});

Deno.test("decodeFrame() reads IPv4 behind LLC/SNAP and counts ARP as non-IP", () => {
  const snap = hex(`
    ${ETH} 0024 # 802.3 length 36
    aaaa03 000000 0800 # LLC/SNAP, zero OUI, IPv4
    4500 001c 0000 0000 4001 0000 0a000001 0a000002
    0000 ffff 0000 0000 # ICMP echo reply`);
  assert.equal(decode(LinkDecoder.Ethernet, snap).proto, 1);
  const arp = hex(`ffffffffffff 66778899aabb 0806 0001 0800 0604 0001`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, arp), { kind: PacketKind.NonIp, flags: 0 });
});

Deno.test("decodeFrame() counts a link type without a decoder as undecoded", () => {
  assert.equal(decode(LinkDecoder.None, hex("0102030405")).kind, PacketKind.Undecoded);
});

Deno.test("decodeFrame() flags truncated and malformed IPv4 headers", () => {
  const cut = hex(`${ETH} 0800 4500 003c 1c46`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, cut), {
    kind: PacketKind.Invalid,
    flags: Flag.Truncated,
  });
  const badVersion = hex(`${ETH} 0800 5500 001c 0000 0000 4011 0000 0a000001 0a000002`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, badVersion), {
    kind: PacketKind.Invalid,
    flags: Flag.Malformed,
  });
  const shortIhl = hex(`${ETH} 0800 4400 001c 0000 0000 4011 0000 0a000001 0a000002`);
  assert.equal(decode(LinkDecoder.Ethernet, shortIhl).flags, Flag.Malformed);
  // Options announced by IHL 6 but not captured: still IPv4, but the transport is unknown.
  const cutOptions = hex(`${ETH} 0800 4600 0020 0000 0000 4006 0000 0a000001 0a000002 0101`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, cutOptions), {
    kind: PacketKind.Ipv4,
    flags: Flag.L4 | Flag.Truncated,
    proto: 6,
    src: "10.0.0.1",
    dst: "10.0.0.2",
  });
});

Deno.test("decodeFrame() accepts total length 0 left by segmentation offload", () => {
  const tso = hex(`${ETH} 0800 4500 0000 0000 4000 4006 0000 0a000001 0a000002
    0016 c350 00000000 00000000 5010 ffff 0000 0000`);
  assert.equal(decode(LinkDecoder.Ethernet, tso).dstPort, 50000);
});

Deno.test("decodeFrame() keeps ports but flags a TCP header cut before its flags", () => {
  const frame = hex(`${ETH} 0800 4500 0028 0000 0000 4006 0000 0a000001 0a000002 0016 c350 0000`);
  assert.deepEqual(decode(LinkDecoder.Ethernet, frame), {
    kind: PacketKind.Ipv4,
    flags: Flag.L4 | Flag.Ports | Flag.Truncated,
    proto: 6,
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 22,
    dstPort: 50000,
  });
});

Deno.test("decodeFrame() follows chains as long as tshark does: VLAN, MPLS, IPv6 options", () => {
  const udp = "1234 270f 000c 0000 abcdabcd"; // UDP 4660 > 9999, 4 bytes
  const ip4 = `4500 0020 0000 0000 4011 0000 0a000001 0a000002 ${udp}`;
  // tshark decodes 20 VLAN tags and calls a 21st "too many nested VLAN tags".
  const tags = (n: number) => "8100 0001 ".repeat(n); // ethertype 802.1Q, VLAN 1
  assert.equal(
    decode(LinkDecoder.Ethernet, hex(`${ETH} ${tags(20)} 0800 ${ip4}`)).dstPort,
    9999,
  );
  assert.deepEqual(decode(LinkDecoder.Ethernet, hex(`${ETH} ${tags(21)} 0800 ${ip4}`)), {
    kind: PacketKind.Invalid,
    flags: Flag.Vlan | Flag.Malformed,
    vlan: 1,
  });
  // MPLS stacks and IPv6 extension chains have no count limit in tshark (thousands of labels,
  // about 495 extension headers before its tree depth limit): only the capture bounds them.
  const labels = "00010040 ".repeat(999) + "00010140"; // 1,000 labels, the last bottom of stack
  assert.equal(decode(LinkDecoder.Ethernet, hex(`${ETH} 8847 ${labels} ${ip4}`)).dstPort, 9999);
  const options = "3c00 0104 00000000 ".repeat(399) + "1100 0104 00000000"; // 400 headers
  const long = hex(`60000000 0cd0 3c 40 ${IPV6_ADDRS} ${options} ${udp}`);
  assert.deepEqual(decode(LinkDecoder.RawIpv6, long).dstPort, 9999);
  // A chain that runs past the capture leaves the transport unknown.
  const cut = decode(LinkDecoder.RawIpv6, long.slice(0, 40 + 8 * 200));
  assert.deepEqual([cut.kind, cut.flags], [PacketKind.Ipv6, Flag.Truncated]);
});

Deno.test("long VLAN, MPLS and IPv6 extension chains decode as tshark decodes them", async () => {
  const udp = "1234 270f 000c 0000 abcdabcd";
  const ip4 = `4500 0020 0000 0000 4011 0000 0a000001 0a000002 ${udp}`;
  const options = (n: number) => "3c00 0104 00000000 ".repeat(n - 1) + "1100 0104 00000000";
  const ip6 = (n: number) =>
    `${(8 * n + 12).toString(16).padStart(4, "0")} 3c 40 ${IPV6_ADDRS} ${options(n)}`;
  const frames = [
    `${ETH} ${"8100 0001 ".repeat(20)} 0800 ${ip4}`,
    `${ETH} ${"8100 0001 ".repeat(21)} 0800 ${ip4}`,
    `${ETH} 8847 ${"00010040 ".repeat(999)} 00010140 ${ip4}`,
    `${ETH} 86dd 60000000 ${ip6(400)} ${udp}`,
    `${ETH} 86dd 60000000 ${ip6(16)} ${udp}`,
  ];
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/chains.pcap`;
    const writer = new PcapWriter(path, 1);
    frames.forEach((dump, n) => writer.write(1_700_000_000 + n, 0, hex(dump)));
    writer.close();
    const want = await tsharkInnermost(path);
    assert.deepEqual(netwatchInnermost(path).frames, want);
    assert.deepEqual(want.map((w) => w.endsWith("udp 4660 9999")), [true, false, true, true, true]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeFrame() finds the TCP payload after the options, and its sequence number", () => {
  const frame = hex(`${ETH} 0800
    4500 0034 0000 4000 4006 0000 0a000001 0a000002 # total length 52: 20 + 24 + 8
    c350 0050 0badcafe 00000000 6018 ffff 0000 0000 # data offset 6: 4 option bytes
    01010000 # NOP NOP EOL
    4745 5420 2f20 4854 # "GET / HT"
    0000 0000 0000 # Ethernet padding to 60 bytes: never payload`);
  const batch = new PacketBatch(1);
  decodeFrame(frame, new DataView(frame.buffer), 0, frame.length, LinkDecoder.Ethernet, batch, 0);
  assert.deepEqual(
    [batch.payloadOffset[0], batch.payloadLength[0], batch.tcpSeq[0]],
    [14 + 20 + 24, 8, 0x0badcafe],
  );
});

Deno.test("decodeFrame() bounds a UDP payload by the UDP, IP and captured lengths", () => {
  const payload = (dump: string, capture = Infinity) => {
    const frame = hex(dump);
    const batch = new PacketBatch(1);
    const capLen = Math.min(frame.length, capture);
    decodeFrame(frame, new DataView(frame.buffer), 0, capLen, LinkDecoder.Ethernet, batch, 0);
    return [batch.payloadOffset[0], batch.payloadLength[0]];
  };
  const ip = (total: string) => `${ETH} 0800 4500 ${total} 0000 0000 4011 0000 0a000001 0a000002`;
  // UDP says 12 bytes (4 of payload), IP says 32 (12 more): the UDP length rules.
  assert.deepEqual(payload(`${ip("0020")} 1234 0035 000c 0000 01020304 ${"00".repeat(12)}`), [
    42,
    4,
  ]);
  // IP says 30 bytes, UDP says 16: the IP length rules.
  assert.deepEqual(payload(`${ip("001e")} 1234 0035 0010 0000 01020304050607080000`), [42, 2]);
  // The capture ends first.
  assert.deepEqual(payload(`${ip("0020")} 1234 0035 000c 0000 01020304`, 44), [42, 2]);
  // A UDP length below its own header is no payload at all; nor is an empty datagram.
  assert.deepEqual(payload(`${ip("0020")} 1234 0035 0004 0000 01020304`), [0, 0]);
  assert.deepEqual(payload(`${ip("001c")} 1234 0035 0008 0000 0000`), [0, 0]);
  // Total length 0 (segmentation offload): the capture bounds it.
  assert.deepEqual(payload(`${ip("0000")} 1234 0035 0000 0000 010203`), [42, 3]);
});
