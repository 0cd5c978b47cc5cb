// Decodes an IPv4/IPv6 header and the transport header after it into a PacketBatch slot.
//
// Hot path: called once per packet (and once more per tunnel removed). No allocation, no
// exceptions; every read is checked against `end` (the end of the captured bytes) first. A short
// or inconsistent header sets Flag.Truncated or Flag.Malformed and stops decoding; the packet is
// still counted by whoever reads the batch. A header that may start a tunnel (IP protocols 4,
// 41 and 47, and the tunnel UDP ports) is not followed here: the decoder returns its TunnelKind
// and leaves where its bytes are in `tunnelAt`, and decode_link.ts takes it from there.

import { Flag, IpProto, PacketBatch, PacketKind, TunnelKind } from "./packet_batch.ts";

/** IPv6 extension headers: hop-by-hop, routing, fragment, destination options, AH. */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;
/** IP protocol numbers that carry a tunnel. */
const PROTO_IPV4 = 4;
const PROTO_IPV6 = 41;
const PROTO_GRE = 47;
/** Longest payload `payloadLength` can say (a Uint16Array). */
const MAX_PAYLOAD = 0xffff;

/**
 * The UDP ports that carry a tunnel, by port, and TunnelKind. Every one is below 16384, so the
 * table is 16 KiB and stays in the L1 cache: one load per UDP port.
 */
const TUNNEL_PORT_LIMIT = 16384;
const UDP_TUNNEL = new Uint8Array(TUNNEL_PORT_LIMIT);
UDP_TUNNEL[4789] = TunnelKind.Vxlan; // IANA
UDP_TUNNEL[8472] = TunnelKind.Vxlan; // Linux's default before the IANA port (flannel, OVS)
UDP_TUNNEL[6081] = TunnelKind.Geneve;
UDP_TUNNEL[2152] = TunnelKind.GtpU; // GTP-C (2123) and GTP' (3386) carry no user packets
UDP_TUNNEL[3544] = TunnelKind.Teredo;
UDP_TUNNEL[5247] = TunnelKind.Capwap; // the data channel; 5246 is control (DTLS)

/**
 * Where the bytes of the tunnel the last decode returned are: [start, end) in the decoder's
 * byte array, `end` bounded by the captured length and the declared IP (and UDP) lengths.
 * Written only when a decoder returns a TunnelKind other than None.
 */
export const tunnelAt = { start: 0, end: 0 };

/**
 * Decodes an IPv4 header at `o`. Sets kind, addresses, protocol, fragment flags and, through
 * decodeTransport(), ports, TCP flags and payload of packet `i`. Returns the TunnelKind of a
 * tunnel that may follow (see `tunnelAt`), else None.
 */
export function decodeIpv4(
  b: Uint8Array,
  dv: DataView,
  o: number,
  end: number,
  batch: PacketBatch,
  i: number,
): number {
  if (end - o < 20) {
    batch.kind[i] = PacketKind.Invalid;
    // A header that does not even start with version 4 is wrong, not short.
    batch.flags[i] |= end > o && b[o] >> 4 !== 4 ? Flag.Malformed : Flag.Truncated;
    return TunnelKind.None;
  }
  const versionIhl = b[o]; // byte 0: version (4 bits), header length in 32-bit words (4 bits)
  const headerLen = (versionIhl & 0x0f) << 2;
  const totalLen = dv.getUint16(o + 2); // bytes 2-3: total length
  // Total length 0 is what segmentation offload (TSO/GSO) leaves in locally captured packets.
  if (versionIhl >> 4 !== 4 || headerLen < 20 || (totalLen !== 0 && totalLen < headerLen)) {
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= Flag.Malformed;
    return TunnelKind.None;
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
      return TunnelKind.None;
    }
  }
  batch.flags[i] |= Flag.L4;
  if (end - o < headerLen) { // options cut short
    batch.flags[i] |= Flag.Truncated;
    return TunnelKind.None;
  }
  // The payload ends at the declared total length (Ethernet pads short frames) or the capture.
  const stop = totalLen !== 0 && o + totalLen < end ? o + totalLen : end;
  return decodeTransport(b, dv, o + headerLen, end, stop, proto, batch, i);
}

/**
 * Decodes an IPv6 header at `o` and walks its extension header chain to the transport header.
 * The chain has no count limit: each header is at least 8 bytes, so the captured length bounds
 * it, and tshark decodes chains of hundreds. Returns a TunnelKind as decodeIpv4() does.
 */
export function decodeIpv6(
  b: Uint8Array,
  dv: DataView,
  o: number,
  end: number,
  batch: PacketBatch,
  i: number,
): number {
  if (end - o < 40) {
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= end > o && b[o] >> 4 !== 6 ? Flag.Malformed : Flag.Truncated;
    return TunnelKind.None;
  }
  if (b[o] >> 4 !== 6) { // byte 0: version in the top 4 bits
    batch.kind[i] = PacketKind.Invalid;
    batch.flags[i] |= Flag.Malformed;
    return TunnelKind.None;
  }
  batch.kind[i] = PacketKind.Ipv6;
  const base = i << 2;
  for (let w = 0; w < 4; w++) {
    batch.src[base + w] = dv.getUint32(o + 8 + (w << 2)); // bytes 8-23: source address
    batch.dst[base + w] = dv.getUint32(o + 24 + (w << 2)); // bytes 24-39: destination address
  }
  const payloadLen = dv.getUint16(o + 4); // bytes 4-5: payload length (0: jumbogram or TSO)
  const stop = payloadLen !== 0 && o + 40 + payloadLen < end ? o + 40 + payloadLen : end;
  let next = b[o + 6]; // byte 6: next header
  let p = o + 40;
  // Each pass moves `p` on by at least 8 bytes, so the loop ends within the captured bytes.
  for (;;) {
    if (
      next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_DEST_OPTS &&
      next !== IPV6_FRAGMENT && next !== IPV6_AH
    ) {
      batch.proto[i] = next;
      batch.flags[i] |= Flag.L4;
      return decodeTransport(b, dv, p, end, stop, next, batch, i);
    }
    if (next === IPV6_FRAGMENT) {
      if (end - p < 8) break;
      batch.flags[i] |= Flag.Fragment;
      // bytes 2-3: offset in 8-byte units (13 bits), 2 reserved bits, M flag
      if ((dv.getUint16(p + 2) & 0xfff8) !== 0) {
        batch.flags[i] |= Flag.NonFirstFragment;
        batch.proto[i] = b[p];
        return TunnelKind.None;
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
  // The chain ran past the captured bytes: the transport is unknown.
  batch.flags[i] |= Flag.Truncated;
  return TunnelKind.None;
}

/**
 * Reads ports (TCP, UDP) or type and code (ICMP, ICMPv6) at `p`, and where the TCP or UDP
 * payload is. Header fields are read up to `end` (the captured bytes); the payload stops at
 * `stop`, the end the IP header declares. Returns the TunnelKind the protocol or port names.
 * Each protocol has its own small function, so that the common ones inline.
 */
function decodeTransport(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  stop: number,
  proto: number,
  batch: PacketBatch,
  i: number,
): number {
  if (proto === IpProto.Tcp) return decodeTcp(b, dv, p, end, stop, batch, i);
  if (proto === IpProto.Udp) return decodeUdp(dv, p, end, stop, batch, i);
  if (proto === IpProto.Icmp || proto === IpProto.Icmpv6) {
    if (end - p < 2) {
      batch.flags[i] |= Flag.Truncated;
      return TunnelKind.None;
    }
    batch.srcPort[i] = b[p]; // byte 0: type
    batch.dstPort[i] = b[p + 1]; // byte 1: code
    batch.flags[i] |= Flag.Ports;
    return TunnelKind.None;
  }
  if (proto !== PROTO_GRE && proto !== PROTO_IPV4 && proto !== PROTO_IPV6) return TunnelKind.None;
  return ipTunnel(proto, p, stop, batch, i);
}

function decodeTcp(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  stop: number,
  batch: PacketBatch,
  i: number,
): number {
  const avail = end - p;
  if (avail < 4) {
    batch.flags[i] |= Flag.Truncated;
    return TunnelKind.None;
  }
  batch.srcPort[i] = dv.getUint16(p); // bytes 0-1: source port
  batch.dstPort[i] = dv.getUint16(p + 2); // bytes 2-3: destination port
  if (avail < 14) {
    batch.flags[i] |= Flag.Ports | Flag.Truncated;
    if (avail >= 8) batch.tcpSeq[i] = dv.getUint32(p + 4);
    return TunnelKind.None;
  }
  batch.tcpSeq[i] = dv.getUint32(p + 4); // bytes 4-7: sequence number
  batch.tcpFlags[i] = b[p + 13]; // byte 13: CWR ECE URG ACK PSH RST SYN FIN
  const headerLen = (b[p + 12] >> 4) << 2; // byte 12: data offset in 32-bit words
  if (headerLen < 20) {
    batch.flags[i] |= Flag.Ports | Flag.Malformed;
    return TunnelKind.None;
  }
  batch.flags[i] |= Flag.Ports;
  const start = p + headerLen;
  if (start < stop) {
    const length = stop - start;
    batch.payloadOffset[i] = start;
    batch.payloadLength[i] = length < MAX_PAYLOAD ? length : MAX_PAYLOAD;
  }
  return TunnelKind.None;
}

function decodeUdp(
  dv: DataView,
  p: number,
  end: number,
  stop: number,
  batch: PacketBatch,
  i: number,
): number {
  const avail = end - p;
  if (avail < 4) {
    batch.flags[i] |= Flag.Truncated;
    return TunnelKind.None;
  }
  const srcPort = dv.getUint16(p);
  const dstPort = dv.getUint16(p + 2);
  batch.srcPort[i] = srcPort;
  batch.dstPort[i] = dstPort;
  batch.flags[i] |= Flag.Ports;
  if (avail < 8) return TunnelKind.None;
  // bytes 4-5: length, header included; 0 in IPv6 jumbograms (the IP length rules then)
  const udpLen = dv.getUint16(p + 4);
  const udpStop = udpLen === 0 || p + udpLen > stop ? stop : p + udpLen;
  const start = p + 8;
  if (udpLen !== 0 && udpLen < 8 || start >= udpStop) return TunnelKind.None;
  const length = udpStop - start;
  batch.payloadOffset[i] = start;
  batch.payloadLength[i] = length < MAX_PAYLOAD ? length : MAX_PAYLOAD;
  let tunnel = dstPort < TUNNEL_PORT_LIMIT ? UDP_TUNNEL[dstPort] : 0;
  if (tunnel === 0 && srcPort < TUNNEL_PORT_LIMIT) tunnel = UDP_TUNNEL[srcPort];
  if (tunnel !== 0) {
    tunnelAt.start = start;
    tunnelAt.end = udpStop;
  }
  return tunnel;
}

/** IP-in-IP, 6in4, 4in6, 6in6 and GRE: the IP payload is the tunnel. */
function ipTunnel(proto: number, p: number, stop: number, batch: PacketBatch, i: number): number {
  if (p >= stop) return TunnelKind.None;
  tunnelAt.start = p;
  tunnelAt.end = stop;
  if (proto === PROTO_GRE) return TunnelKind.Gre;
  const v6 = batch.kind[i] === PacketKind.Ipv6;
  if (proto === PROTO_IPV4) return v6 ? TunnelKind.Ip4in6 : TunnelKind.IpIp;
  return v6 ? TunnelKind.Ip6in6 : TunnelKind.Ip6in4;
}
