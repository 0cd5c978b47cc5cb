// One hand-built frame per tunnel form Netwatch takes apart, each with the packet it carries:
// for the decoder's tests, its truncation sweep and the fuzzer's seed pool.

import { LinkDecoder } from "../../capture/link_types.ts";
import { TunnelKind } from "../../capture/packet_batch.ts";
import {
  eth,
  INNER_TCP,
  INNER_UDP6,
  ipv4,
  ipv6,
  OUTER6_DST,
  OUTER6_SRC,
  OUTER_DST,
  OUTER_SRC,
  udp,
} from "./frames.ts";

/** A tunnelled frame, the innermost packet it ends with, and the tunnel the decoder names. */
export interface TunnelSample {
  name: string;
  decoder: number;
  dump: string;
  /** The innermost IP packet, which is the last thing in the frame. */
  inner: string;
  /** With nested tunnels: the IP packet the outermost tunnel carries (it ends the frame too). */
  carrier?: string;
  tunnel: number;
  /** Protocol of the outermost IP header. */
  outerProto: number;
}

/** An 802.11 data frame header to the DS (frame control 08 01), three addresses, then LLC. */
const WLAN_DATA = `0801 0000 8480 2d2b4590 54f201e1b299 10f311eaeec1 0000
  aaaa03 000000 0800 # LLC/SNAP, IPv4
`;
/** The same frame with its frame control bytes swapped, as Cisco access points send it. */
const WLAN_DATA_SWAPPED = `0108 0000 8480 2d2b4590 54f201e1b299 10f311eaeec1 0000
  aaaa03 000000 0800`;

/** 10.0.0.1 -> 10.0.0.2, GRE carrying INNER_TCP: the middle of a nested sample. */
const GRE_CARRIER = ipv4(47, "0a000001", "0a000002", `0000 0800 ${INNER_TCP}`);

const udp4 = (sport: number, dport: number, payload: string) =>
  eth("0800", ipv4(17, OUTER_SRC, OUTER_DST, udp(sport, dport, payload)));
const gre4 = (payload: string) => eth("0800", ipv4(47, OUTER_SRC, OUTER_DST, payload));

export const TUNNEL_SAMPLES: TunnelSample[] = [
  {
    name: "VXLAN",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      51000,
      4789,
      `08000000 00006400 # VXLAN: I flag, VNI 100
      ${eth("8100 0005 0800", INNER_TCP)} # inner Ethernet, VLAN 5`,
    ),
    inner: INNER_TCP,
    tunnel: TunnelKind.Vxlan,
    outerProto: 17,
  },
  {
    name: "VXLAN on Linux's old port 8472",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(51000, 8472, `08000000 00006400 ${eth("86dd", INNER_UDP6)}`),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Vxlan,
    outerProto: 17,
  },
  {
    name: "Geneve with 8 bytes of options",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      51000,
      6081,
      `02 00 6558 000064 00 # version 0, 2 option words, Ethernet, VNI 100
      0102 8001 00000000 # one option: class 0x0102, type 0x80, 1 word
      ${eth("0800", INNER_TCP)}`,
    ),
    inner: INNER_TCP,
    tunnel: TunnelKind.Geneve,
    outerProto: 17,
  },
  {
    name: "Geneve carrying IPv6 directly",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(51000, 6081, `00 00 86dd 000064 00 ${INNER_UDP6}`),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Geneve,
    outerProto: 17,
  },
  {
    name: "GRE",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`0000 0800 # GRE: no options, IPv4
      ${INNER_TCP}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "GRE with checksum, key and sequence number",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`b000 0800 # C, K and S set
      0000 0000 # checksum, reserved
      0000002a # key 42
      00000007 # sequence 7
      ${INNER_TCP}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "GRE transparent Ethernet bridging",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`2000 6558 00000005 # K set, key 5, Ethernet
      ${eth("0800", INNER_TCP)}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "GRE version 1 (PPTP) carrying PPP",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`3081 880b 0030 0001 # K S A, version 1, PPP; payload length 48, call ID 1
      00000005 00000004 # sequence 5, acknowledgment 4
      ff03 0021 # PPP: address, control, IPv4
      ${INNER_TCP}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "GRE carrying an MPLS label",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`0000 8847 00010140 # MPLS: label 16, bottom of stack, TTL 64
      ${INNER_TCP}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "ERSPAN type II",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`1000 88be 00000001 # S set, sequence 1, ERSPAN
      1064 0001 00000000 # ERSPAN II: version 1, VLAN 100, session 1, index 0
      ${eth("0800", INNER_TCP)}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "ERSPAN type III",
    decoder: LinkDecoder.Ethernet,
    dump: gre4(`1000 22eb 00000001
      2064 0001 00000000 0000 0000 # ERSPAN III: version 2, timestamp, frame type Ethernet
      ${eth("0800", INNER_TCP)}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "GRE over IPv6",
    decoder: LinkDecoder.Ethernet,
    dump: eth("86dd", ipv6(47, OUTER6_SRC, OUTER6_DST, `0000 86dd ${INNER_UDP6}`)),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Gre,
    outerProto: 47,
  },
  {
    name: "IPv4 in IPv4",
    decoder: LinkDecoder.Ethernet,
    dump: eth("0800", ipv4(4, OUTER_SRC, OUTER_DST, INNER_TCP)),
    inner: INNER_TCP,
    tunnel: TunnelKind.IpIp,
    outerProto: 4,
  },
  {
    name: "6in4",
    decoder: LinkDecoder.Ethernet,
    dump: eth("0800", ipv4(41, OUTER_SRC, OUTER_DST, INNER_UDP6)),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Ip6in4,
    outerProto: 41,
  },
  {
    name: "4in6",
    decoder: LinkDecoder.Ethernet,
    dump: eth("86dd", ipv6(4, OUTER6_SRC, OUTER6_DST, INNER_TCP)),
    inner: INNER_TCP,
    tunnel: TunnelKind.Ip4in6,
    outerProto: 4,
  },
  {
    name: "6in6 after a destination options header",
    decoder: LinkDecoder.RawIpv6,
    dump: ipv6(
      60,
      OUTER6_SRC,
      OUTER6_DST,
      `2900 0104 00000000 # next header 41, PadN
      ${INNER_UDP6}`,
    ),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Ip6in6,
    outerProto: 41,
  },
  {
    name: "GTP-U",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      2152,
      2152,
      `30ff 002c 12808fb8 # version 1, G-PDU, length 44, TEID
      ${INNER_TCP}`,
    ),
    inner: INNER_TCP,
    tunnel: TunnelKind.GtpU,
    outerProto: 17,
  },
  {
    name: "GTP-U with a sequence number and an extension header",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      2152,
      2152,
      `36ff 003a 12808fb8 # E and S set, length 58
      1234 00 85 # sequence, N-PDU, next extension: PDU session container
      01 0009 00 # 4 bytes: length 1 word, content, no next extension
      ${INNER_UDP6}`,
    ),
    inner: INNER_UDP6,
    tunnel: TunnelKind.GtpU,
    outerProto: 17,
  },
  {
    name: "Teredo",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(3544, 50000, INNER_UDP6),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Teredo,
    outerProto: 17,
  },
  {
    name: "Teredo with authentication and origin indications",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      50000,
      3544,
      `0001 02 01 abcd ef 0102030405060708 00 # auth: ID "abcd", value ef
      0000 f227 3fffffff # origin: port and address, obfuscated
      ${INNER_UDP6}`,
    ),
    inner: INNER_UDP6,
    tunnel: TunnelKind.Teredo,
    outerProto: 17,
  },
  {
    name: "CAPWAP carrying an 802.3 frame",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      12380,
      5247,
      `00100200 00000000 # HLEN 2, WBID 802.11, T clear: 802.3
      ${eth("0800", INNER_TCP)}`,
    ),
    inner: INNER_TCP,
    tunnel: TunnelKind.Capwap,
    outerProto: 17,
  },
  {
    name: "CAPWAP carrying an 802.11 frame",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(
      12380,
      5247,
      `00200320 00000000 # HLEN 4, WBID 802.11, T and W set
      04 bf230000 000000 # wireless information: length 4, RSSI, SNR, rate; padding
      ${WLAN_DATA} ${INNER_TCP}`,
    ),
    inner: INNER_TCP,
    tunnel: TunnelKind.Capwap,
    outerProto: 17,
  },
  {
    name: "CAPWAP carrying an 802.11 frame with swapped frame control",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(41264, 5247, `00100300 00000000 ${WLAN_DATA_SWAPPED} ${INNER_TCP}`),
    inner: INNER_TCP,
    tunnel: TunnelKind.Capwap,
    outerProto: 17,
  },
  {
    name: "GRE in VXLAN",
    decoder: LinkDecoder.Ethernet,
    dump: udp4(51000, 4789, `08000000 00006400 ${eth("0800", GRE_CARRIER)}`),
    inner: INNER_TCP,
    carrier: GRE_CARRIER,
    tunnel: TunnelKind.Vxlan,
    outerProto: 17,
  },
];
