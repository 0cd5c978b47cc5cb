// Decodes the outermost IPv4/IPv6 header and the transport header after it into a PacketBatch slot.
//
// Hot path: called once per packet. No allocation, no exceptions; every read is checked against
// `end` (the end of the captured bytes) first. A short or inconsistent header sets Flag.Truncated
// or Flag.Malformed and stops decoding; the packet is still counted by whoever reads the batch.

import { Flag, IpProto, PacketBatch, PacketKind } from "./packet_batch.ts";

/** IPv6 extension headers: hop-by-hop, routing, fragment, destination options, AH. */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;
/** A chain longer than this is treated as malformed rather than walked forever. */
const IPV6_MAX_EXT_HEADERS = 16;

/**
 * Decodes an IPv4 header at `o`. Sets kind, addresses, protocol, fragment flags and, through
 * decodeTransport(), ports and TCP flags of packet `i`.
 */
export function decodeIpv4(
  b: Uint8Array,
  dv: DataView,
  o: number,
  end: number,
  batch: PacketBatch,
  i: number,
): void {
  if (end - o < 20) {
    batch.kind[i] = PacketKind.Invalid;
    // A header that does not even start with version 4 is wrong, not short.
    batch.flags[i] |= end > o && b[o] >> 4 !== 4 ? Flag.Malformed : Flag.Truncated;
    return;
  }
  const versionIhl = b[o]; // byte 0: version (4 bits), header length in 32-bit words (4 bits)
  const headerLen = (versionIhl & 0x0f) << 2;
  const totalLen = dv.getUint16(o + 2); // bytes 2-3: total length
  // Total length 0 is what segmentation offload (TSO/GSO) leaves in locally captured packets.
  if (versionIhl >> 4 !== 4 || headerLen < 20 || (totalLen !== 0 && totalLen < headerLen)) {
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= Flag.Malformed;
    return;
  }
  batch.kind[i] = PacketKind.Ipv4;
  const base = i << 2;
  batch.src[base] = dv.getUint32(o + 12); // bytes 12-15: source address
  batch.dst[base] = dv.getUint32(o + 16); // bytes 16-19: destination address
  const proto = b[o + 9]; // byte 9: protocol
  batch.proto[i] = proto;
  const fragment = dv.getUint16(o + 6); // bytes 6-7: flags (3 bits), fragment offset (13 bits)
  if ((fragment & 0x3fff) !== 0) { // MF bit or a non-zero offset
    batch.flags[i] |= Flag.Fragment;
    if ((fragment & 0x1fff) !== 0) {
      batch.flags[i] |= Flag.NonFirstFragment;
      return;
    }
  }
  batch.flags[i] |= Flag.L4;
  if (end - o < headerLen) { // options cut short
    batch.flags[i] |= Flag.Truncated;
    return;
  }
  decodeTransport(b, dv, o + headerLen, end, proto, batch, i);
}

/**
 * Decodes an IPv6 header at `o` and walks its extension header chain to the transport header.
 */
export function decodeIpv6(
  b: Uint8Array,
  dv: DataView,
  o: number,
  end: number,
  batch: PacketBatch,
  i: number,
): void {
  if (end - o < 40) {
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= end > o && b[o] >> 4 !== 6 ? Flag.Malformed : Flag.Truncated;
    return;
  }
  if (b[o] >> 4 !== 6) { // byte 0: version in the top 4 bits
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= Flag.Malformed;
    return;
  }
  batch.kind[i] = PacketKind.Ipv6;
  const base = i << 2;
  for (let w = 0; w < 4; w++) {
    batch.src[base + w] = dv.getUint32(o + 8 + (w << 2)); // bytes 8-23: source address
    batch.dst[base + w] = dv.getUint32(o + 24 + (w << 2)); // bytes 24-39: destination address
  }
  let next = b[o + 6]; // byte 6: next header
  let p = o + 40;
  for (let n = 0; n <= IPV6_MAX_EXT_HEADERS; n++) {
    if (
      next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_DEST_OPTS &&
      next !== IPV6_FRAGMENT && next !== IPV6_AH
    ) {
      batch.proto[i] = next;
      batch.flags[i] |= Flag.L4;
      decodeTransport(b, dv, p, end, next, batch, i);
      return;
    }
    if (n === IPV6_MAX_EXT_HEADERS) break;
    if (next === IPV6_FRAGMENT) {
      if (end - p < 8) break;
      batch.flags[i] |= Flag.Fragment;
      // bytes 2-3: offset in 8-byte units (13 bits), 2 reserved bits, M flag
      if ((dv.getUint16(p + 2) & 0xfff8) !== 0) {
        batch.flags[i] |= Flag.NonFirstFragment;
        batch.proto[i] = b[p];
        return;
      }
      next = b[p];
      p += 8;
      continue;
    }
    if (end - p < 2) break;
    // byte 1: length, in 8-byte units past the first 8 (AH: in 4-byte units past the first 8)
    const len = next === IPV6_AH ? (b[p + 1] + 2) << 2 : (b[p + 1] + 1) << 3;
    next = b[p];
    p += len;
  }
  // The chain ran past the captured bytes (or was absurdly long): the transport is unknown.
  batch.flags[i] |= p > end || end - p < 2 ? Flag.Truncated : Flag.Malformed;
}

/** Reads ports (TCP, UDP) or type and code (ICMP, ICMPv6) at `p`. */
function decodeTransport(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  proto: number,
  batch: PacketBatch,
  i: number,
): void {
  const avail = end - p;
  if (proto === IpProto.Tcp) {
    if (avail < 4) {
      batch.flags[i] |= Flag.Truncated;
      return;
    }
    batch.srcPort[i] = dv.getUint16(p); // bytes 0-1: source port
    batch.dstPort[i] = dv.getUint16(p + 2); // bytes 2-3: destination port
    batch.flags[i] |= Flag.Ports;
    if (avail < 14) {
      batch.flags[i] |= Flag.Truncated;
      return;
    }
    batch.tcpFlags[i] = b[p + 13]; // byte 13: CWR ECE URG ACK PSH RST SYN FIN
    if (b[p + 12] >> 4 < 5) batch.flags[i] |= Flag.Malformed; // byte 12: data offset < 5 words
  } else if (proto === IpProto.Udp) {
    if (avail < 4) {
      batch.flags[i] |= Flag.Truncated;
      return;
    }
    batch.srcPort[i] = dv.getUint16(p);
    batch.dstPort[i] = dv.getUint16(p + 2);
    batch.flags[i] |= Flag.Ports;
  } else if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) {
    if (avail < 2) {
      batch.flags[i] |= Flag.Truncated;
      return;
    }
    batch.srcPort[i] = b[p]; // byte 0: type
    batch.dstPort[i] = b[p + 1]; // byte 1: code
    batch.flags[i] |= Flag.Ports;
  }
}
