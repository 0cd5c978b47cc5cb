// Hand-built frames for decoder tests: each layer is written as a hex dump with comments, and
// these builders only fill in the length fields, so every byte under test stays visible.

import { hex } from "./pcap_file.ts";
import { decodeFrame } from "../../capture/decode_link.ts";
import { formatAddress } from "../../capture/ip_address.ts";
import { Flag, PacketBatch, PacketKind } from "../../capture/packet_batch.ts";

/** Hex digits of `dump` (whitespace and `#` comments dropped). */
function digits(dump: string): string {
  return dump.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
}

function word(n: number): string {
  return n.toString(16).padStart(4, "0");
}

/** An Ethernet header (destination, source, ethertype) and `payload`. */
export function eth(type: string, payload: string): string {
  return `001122334455 66778899aabb ${type} ${payload}`;
}

/**
 * An IPv4 header (no options, TTL 64, checksum 0) from `src` to `dst` (8 hex digits each)
 * carrying `payload` of protocol `proto`; `flags` are bytes 6-7 (DF by default).
 */
export function ipv4(proto: number, src: string, dst: string, payload: string, flags = "4000") {
  const body = digits(payload);
  return `4500 ${word(20 + body.length / 2)} 1234 ${flags} 40${
    proto.toString(16).padStart(2, "0")
  } 0000 ${src} ${dst} ${body}`;
}

/** An IPv6 header (hop limit 64) from `src` to `dst` (32 hex digits each). */
export function ipv6(next: number, src: string, dst: string, payload: string): string {
  const body = digits(payload);
  return `60000000 ${word(body.length / 2)} ${
    next.toString(16).padStart(2, "0")
  } 40 ${src} ${dst} ${body}`;
}

/** A UDP header (checksum 0) and `payload`. */
export function udp(sport: number, dport: number, payload: string): string {
  const body = digits(payload);
  return `${word(sport)} ${word(dport)} ${word(8 + body.length / 2)} 0000 ${body}`;
}

/** A TCP header (sequence 100, PSH ACK, no options) and `payload`. */
export function tcp(sport: number, dport: number, payload: string): string {
  return `${word(sport)} ${word(dport)} 00000064 00000000 5018 ffff 0000 0000 ${payload}`;
}

/** IPv4 TCP 10.1.1.1:40000 -> 10.2.2.2:443 carrying DE AD BE EF: the usual inner packet. */
export const INNER_TCP = ipv4(6, "0a010101", "0a020202", tcp(40000, 443, "deadbeef"));
/** IPv6 UDP [2001:db8::1]:5353 -> [2001:db8::2]:53 carrying CA FE. */
export const INNER_UDP6 = ipv6(
  17,
  "20010db8000000000000000000000001",
  "20010db8000000000000000000000002",
  udp(5353, 53, "cafe"),
);
/** Outer addresses: 192.168.0.1 -> 192.168.0.2, and 2001:db8:ffff::1 -> 2001:db8:ffff::2. */
export const OUTER_SRC = "c0a80001";
export const OUTER_DST = "c0a80002";
export const OUTER6_SRC = "20010db8ffff00000000000000000001";
export const OUTER6_DST = "20010db8ffff00000000000000000002";

/** What a test looks at in a decoded slot, in plain words. */
export interface Decoded {
  kind: number;
  flags: number;
  src?: string;
  dst?: string;
  proto?: number;
  srcPort?: number;
  dstPort?: number;
  vlan?: number;
  tunnel: number;
  outer?: { kind: number; proto: number; flags: number };
  /** The payload bytes as hex, when there are any. */
  payload?: string;
  tcpSeq?: number;
}

/** Decodes `frame` with link decoder `decoder` into a fresh batch and describes it. */
export function decodeOne(decoder: number, frame: Uint8Array<ArrayBuffer>): Decoded {
  const batch = new PacketBatch(1);
  batch.raw = frame;
  decodeFrame(frame, new DataView(frame.buffer), 0, frame.length, decoder, batch, 0);
  return describe(batch, 0);
}

/** The fields of slot `i` that matter, in plain words (payload read through `batch.raw`). */
export function describe(batch: PacketBatch, i: number): Decoded {
  const out: Decoded = { kind: batch.kind[i], flags: batch.flags[i], tunnel: batch.tunnel[i] };
  const kind = batch.kind[i];
  if (kind === PacketKind.Ipv4 || kind === PacketKind.Ipv6) {
    const v = kind === PacketKind.Ipv4 ? 4 : 6;
    out.src = formatAddress(v, batch.src, i);
    out.dst = formatAddress(v, batch.dst, i);
    if (batch.flags[i] & (Flag.L4 | Flag.NonFirstFragment)) out.proto = batch.proto[i];
  }
  if (batch.flags[i] & Flag.Ports) {
    out.srcPort = batch.srcPort[i];
    out.dstPort = batch.dstPort[i];
  }
  if (batch.flags[i] & Flag.Vlan) out.vlan = batch.vlan[i];
  if (batch.tunnel[i]) {
    out.outer = {
      kind: batch.outerKind[i],
      proto: batch.outerProto[i],
      flags: batch.outerFlags[i],
    };
  }
  if (batch.payloadLength[i]) {
    const at = batch.payloadOffset[i];
    out.payload = Array.from(
      batch.raw.subarray(at, at + batch.payloadLength[i]),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  }
  if (batch.tcpSeq[i]) out.tcpSeq = batch.tcpSeq[i];
  return out;
}

/** `hex()` of a dump built with the helpers above. */
export function frame(dump: string): Uint8Array<ArrayBuffer> {
  return hex(dump);
}
