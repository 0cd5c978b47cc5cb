// Decodes one captured frame, link layer first, into a PacketBatch slot, and takes the packet
// out of any tunnels it travels in.
//
// Hot path: called once per packet with integer arguments only. No allocation, no exceptions,
// every read bounds-checked against `end`. Ethertype chains (VLAN tags, MPLS labels, PPPoE,
// LLC/SNAP, PPP, Ethernet in tunnels) and nested tunnels are walked in loops with fixed
// bounds, never by recursion.

import { EtherType } from "./ethertype.ts";
import {
  FRAME_TRUNCATED,
  framed,
  read80211,
  readCiscoHdlc,
  readPpi,
  readPpp,
  readPppSerial,
  readRadiotap,
} from "./decode_framing.ts";
import { decodeIpv4, decodeIpv6, tunnelAt } from "./decode_ip.ts";
import { innerAt, tunnelPayload } from "./decode_tunnel.ts";
import { LinkDecoder } from "./link_types.ts";
import { Flag, PacketBatch, PacketKind, TunnelKind } from "./packet_batch.ts";

const ARPHRD_NETLINK = 824;
/** NFLOG TLV type carrying the packet (NFULA_PAYLOAD); the top two bits of a type are flags. */
const NFULA_PAYLOAD = 9;
/** tshark decodes up to 20 nested VLAN tags and calls a 21st "too many": so does Netwatch. */
const MAX_VLAN_TAGS = 20;
/** Bound on the steps of an ethertype chain: the VLAN tags and a few more (LLC, PPP, ...). */
const MAX_LINK_STEPS = MAX_VLAN_TAGS + 12;
/** Most tunnels taken off one packet; a packet nested deeper gets Flag.TunnelLimit. */
export const MAX_TUNNELS = 4;
/** Address families of BSD-style loopback headers. */
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24; // NetBSD, OpenBSD
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/**
 * Decodes the frame at `bytes[off, off + capLen)` with link decoder `decoder` (from
 * link_types.ts) into slot `i` of `batch`, which the caller has cleared. A packet in a tunnel
 * is described by the innermost packet (see PacketBatch), up to MAX_TUNNELS deep.
 */
export function decodeFrame(
  b: Uint8Array,
  dv: DataView,
  off: number,
  capLen: number,
  decoder: number,
  batch: PacketBatch,
  i: number,
): void {
  // Ethernet, by far the most common, without the switch over link types (measured: 3 ns).
  const tunnel = decoder === LinkDecoder.Ethernet && capLen >= 14
    ? decodeEthertype(b, dv, dv.getUint16(off + 12), off + 14, off + capLen, batch, i)
    : decodeLink(b, dv, off, off + capLen, decoder, batch, i);
  if (tunnel !== TunnelKind.None) decapsulate(tunnel, b, dv, batch, i);
}

/** The link layer of one frame; returns the TunnelKind its IP header may start. */
function decodeLink(
  b: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
  decoder: number,
  batch: PacketBatch,
  i: number,
): number {
  const capLen = end - off;
  switch (decoder) {
    case LinkDecoder.Ethernet:
      if (capLen < 14) return invalid(batch, i, Flag.Truncated);
      return decodeEthertype(b, dv, dv.getUint16(off + 12), off + 14, end, batch, i);
    case LinkDecoder.LinuxSll:
      // bytes 2-3: ARPHRD type; 14-15: protocol (an ethertype for most devices)
      if (capLen < 16) return invalid(batch, i, Flag.Truncated);
      if (dv.getUint16(off + 2) === ARPHRD_NETLINK) return nonIp(batch, i);
      return decodeEthertype(b, dv, dv.getUint16(off + 14), off + 16, end, batch, i);
    case LinkDecoder.LinuxSll2:
      // bytes 0-1: protocol; 8-9: ARPHRD type
      if (capLen < 20) return invalid(batch, i, Flag.Truncated);
      if (dv.getUint16(off + 8) === ARPHRD_NETLINK) return nonIp(batch, i);
      return decodeEthertype(b, dv, dv.getUint16(off), off + 20, end, batch, i);
    case LinkDecoder.RawIp:
      return decodeEthertype(b, dv, EtherType.IpByVersion, off, end, batch, i);
    case LinkDecoder.RawIpv4:
      return decodeIpv4(b, dv, off, end, batch, i);
    case LinkDecoder.RawIpv6:
      return decodeIpv6(b, dv, off, end, batch, i);
    case LinkDecoder.Null:
    case LinkDecoder.Loop: {
      if (capLen < 4) return invalid(batch, i, Flag.Truncated);
      let family = dv.getUint32(off, decoder === LinkDecoder.Null);
      // NULL is in the capturing host's byte order: a family never needs the high 16 bits.
      if (family > 0xffff) family = dv.getUint32(off, decoder !== LinkDecoder.Null);
      if (family === AF_INET) return decodeIpv4(b, dv, off + 4, end, batch, i);
      if (
        family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN ||
        family === AF_INET6_LINUX
      ) return decodeIpv6(b, dv, off + 4, end, batch, i);
      return nonIp(batch, i);
    }
    case LinkDecoder.Nflog:
      return decodeNflog(b, dv, off, end, batch, i);
    case LinkDecoder.Ppp:
      return decodeEthertype(b, dv, EtherType.Ppp, off, end, batch, i);
    case LinkDecoder.PppWithDirection: // one direction byte, then PPP
      return decodeEthertype(b, dv, EtherType.Ppp, off + 1, end, batch, i);
    case LinkDecoder.PppSerial:
      return decodeFraming(readPppSerial(b, dv, off, end), b, dv, end, batch, i);
    case LinkDecoder.CiscoHdlc:
      return decodeFraming(readCiscoHdlc(dv, off, end), b, dv, end, batch, i);
    case LinkDecoder.CiscoHdlcWithDirection:
      return decodeFraming(readCiscoHdlc(dv, off + 1, end), b, dv, end, batch, i);
    case LinkDecoder.PppEther:
      // PPPoE header without Ethernet: version and type, code, session, length; then PPP
      if (capLen < 6) return invalid(batch, i, Flag.Truncated);
      return decodeEthertype(b, dv, EtherType.Ppp, off + 6, end, batch, i);
    case LinkDecoder.Ieee80211:
      return decodeEthertype(b, dv, EtherType.Ieee80211, off, end, batch, i);
    case LinkDecoder.Radiotap:
      return decodeFraming(readRadiotap(b, dv, off, end), b, dv, end, batch, i);
    case LinkDecoder.Ppi:
      return decodeFraming(readPpi(b, dv, off, end), b, dv, end, batch, i);
  }
  batch.kind[i] = PacketKind.Undecoded;
  return TunnelKind.None;
}

/** Goes on from a framing reader's result: an ethertype at `framed.offset`, or why not. */
function decodeFraming(
  type: number,
  b: Uint8Array,
  dv: DataView,
  end: number,
  batch: PacketBatch,
  i: number,
): number {
  if (type < 0) return notFramed(type, batch, i);
  return decodeEthertype(b, dv, type, framed.offset, end, batch, i);
}

/** Records why a framing reader found no ethertype (FRAME_TRUNCATED or FRAME_NOT_IP). */
function notFramed(type: number, batch: PacketBatch, i: number): number {
  return type === FRAME_TRUNCATED ? invalid(batch, i, Flag.Truncated) : nonIp(batch, i);
}

/**
 * Follows an ethertype (or pseudo-type, see ethertype.ts) at `p` through VLAN tags, LLC/SNAP,
 * PPPoE, PPP, 802.11, MPLS and whole Ethernet frames to the IP header. Returns the TunnelKind
 * the IP header may start.
 */
function decodeEthertype(
  b: Uint8Array,
  dv: DataView,
  type: number,
  p: number,
  end: number,
  batch: PacketBatch,
  i: number,
): number {
  let tags = 0;
  for (let step = 0; step < MAX_LINK_STEPS; step++) {
    // The common case first, before a switch over sparse values.
    if (type === EtherType.Ipv4) return decodeIpv4(b, dv, p, end, batch, i);
    if (type === EtherType.Ipv6) return decodeIpv6(b, dv, p, end, batch, i);
    switch (type) {
      case EtherType.Vlan:
      case EtherType.QinQ:
      case EtherType.QinQOld:
        // bytes 0-1: priority (3 bits), DEI (1), VLAN id (12); bytes 2-3: inner ethertype
        if (end - p < 4) return invalid(batch, i, Flag.Truncated);
        if (++tags > MAX_VLAN_TAGS) return invalid(batch, i, Flag.Malformed);
        if ((batch.flags[i] & Flag.Vlan) === 0) {
          batch.vlan[i] = dv.getUint16(p) & 0x0fff;
          batch.flags[i] |= Flag.Vlan;
        }
        type = dv.getUint16(p + 2);
        p += 4;
        continue;
      case EtherType.Mpls:
      case EtherType.MplsMulticast:
        // A label stack has no count limit (tshark has none): each label is 4 bytes, so the
        // captured length bounds it. Its payload is guessed from the first nibble, as tshark
        // does.
        for (;;) {
          if (end - p < 4) return invalid(batch, i, Flag.Truncated);
          const bottom = b[p + 2] & 0x01; // byte 2: EXP (3 bits), bottom of stack (1 bit)
          p += 4;
          if (bottom) break;
        }
        type = EtherType.IpByVersion;
        continue;
      case EtherType.Ethernet:
        // destination and source MAC, then the ethertype (or an 802.3 length)
        if (end - p < 14) return invalid(batch, i, Flag.Truncated);
        type = dv.getUint16(p + 12);
        p += 14;
        continue;
      case EtherType.PppoeSession:
        // 6-byte PPPoE header (version and type, code, session, length), then PPP
        if (end - p < 6) return invalid(batch, i, Flag.Truncated);
        type = EtherType.Ppp;
        p += 6;
        continue;
      case EtherType.Ppp:
        type = readPpp(b, p, end);
        if (type < 0) return notFramed(type, batch, i);
        p = framed.offset;
        continue;
      case EtherType.Ieee80211:
      case EtherType.Ieee80211Capwap:
        type = read80211(b, dv, p, end, type === EtherType.Ieee80211Capwap);
        if (type < 0) return notFramed(type, batch, i);
        p = framed.offset;
        continue;
      case EtherType.IpByVersion: {
        if (end - p < 1) return invalid(batch, i, Flag.Truncated);
        const version = b[p] >> 4;
        if (version === 4) return decodeIpv4(b, dv, p, end, batch, i);
        if (version === 6) return decodeIpv6(b, dv, p, end, batch, i);
        return invalid(batch, i, Flag.Malformed);
      }
    }
    if (type >= EtherType.Min) return nonIp(batch, i);
    // 802.3 length field: only LLC/SNAP with a zero OUI carries an ethertype (AA AA 03 000000).
    if (
      end - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03 &&
      b[p + 3] === 0 && b[p + 4] === 0 && b[p + 5] === 0
    ) {
      type = dv.getUint16(p + 6);
      p += 8;
      if (type < EtherType.Min) return nonIp(batch, i);
      continue;
    }
    return nonIp(batch, i);
  }
  return invalid(batch, i, Flag.Malformed);
}

/**
 * NFLOG: 4-byte header (family, version, resource id), then TLVs whose 16-bit length and type
 * are in the capturing host's byte order (libpcap swaps them for us when reading a file written
 * on the other endianness; Netwatch runs on little-endian hosts). Lengths include the 4-byte TLV
 * header and TLVs are padded to 4 bytes.
 */
function decodeNflog(
  b: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
  batch: PacketBatch,
  i: number,
): number {
  if (end - off < 4) return invalid(batch, i, Flag.Truncated);
  const family = b[off];
  let p = off + 4;
  while (end - p >= 4) {
    const len = dv.getUint16(p, true);
    const type = dv.getUint16(p + 2, true) & 0x3fff;
    if (len < 4) return invalid(batch, i, Flag.Malformed);
    if (type === NFULA_PAYLOAD) {
      const payloadEnd = p + len < end ? p + len : end;
      if (family === AF_INET) return decodeIpv4(b, dv, p + 4, payloadEnd, batch, i);
      if (family === AF_INET6_LINUX) return decodeIpv6(b, dv, p + 4, payloadEnd, batch, i);
      return decodeEthertype(b, dv, EtherType.IpByVersion, p + 4, payloadEnd, batch, i);
    }
    p += (len + 3) & ~3;
  }
  // No payload TLV: a log record without the packet.
  return nonIp(batch, i);
}

/** The fields of a slot saved while a tunnel's inside is tried, restored if it is not IP. */
const saved = new Uint32Array(18);

/**
 * Takes the packet in slot `i` out of `tunnel` (found by the IP decoder, its bytes in
 * `tunnelAt`), and out of any tunnel inside that, up to MAX_TUNNELS. A tunnel whose inside is
 * not a well-formed IP packet (a keep-alive, an ARP frame, a damaged header) is left on: the
 * packet keeps the description of the last header that decoded.
 */
function decapsulate(
  tunnel: number,
  b: Uint8Array,
  dv: DataView,
  batch: PacketBatch,
  i: number,
): void {
  for (let depth = 0; depth < MAX_TUNNELS; depth++) {
    const type = tunnelPayload(tunnel, b, dv, tunnelAt.start, tunnelAt.end);
    if (type < 0) return;
    save(batch, i);
    // The inside starts with a clean network description; the link's VLAN stays.
    const base = i << 2;
    for (let w = 0; w < 4; w++) batch.src[base + w] = batch.dst[base + w] = 0;
    batch.kind[i] = batch.proto[i] = batch.tcpFlags[i] = 0;
    batch.flags[i] &= Flag.Vlan;
    batch.srcPort[i] = batch.dstPort[i] = 0;
    batch.payloadOffset[i] = batch.payloadLength[i] = batch.tcpSeq[i] = 0;
    const next = decodeEthertype(b, dv, type, innerAt.start, innerAt.end, batch, i);
    const kind = batch.kind[i];
    if (kind !== PacketKind.Ipv4 && kind !== PacketKind.Ipv6) {
      restore(batch, i);
      return;
    }
    if (depth === 0) {
      batch.tunnel[i] = tunnel;
      batch.outerKind[i] = saved[0];
      batch.outerProto[i] = saved[1];
      batch.outerFlags[i] = saved[2];
    }
    if (next === TunnelKind.None) return;
    tunnel = next;
  }
  batch.flags[i] |= Flag.TunnelLimit;
}

function save(batch: PacketBatch, i: number): void {
  const base = i << 2;
  saved[0] = batch.kind[i];
  saved[1] = batch.proto[i];
  saved[2] = batch.flags[i];
  saved[3] = batch.tcpFlags[i];
  saved[4] = batch.srcPort[i];
  saved[5] = batch.dstPort[i];
  saved[6] = batch.vlan[i];
  saved[7] = batch.payloadOffset[i];
  saved[8] = batch.payloadLength[i];
  saved[9] = batch.tcpSeq[i];
  for (let w = 0; w < 4; w++) {
    saved[10 + w] = batch.src[base + w];
    saved[14 + w] = batch.dst[base + w];
  }
}

function restore(batch: PacketBatch, i: number): void {
  const base = i << 2;
  batch.kind[i] = saved[0];
  batch.proto[i] = saved[1];
  batch.flags[i] = saved[2];
  batch.tcpFlags[i] = saved[3];
  batch.srcPort[i] = saved[4];
  batch.dstPort[i] = saved[5];
  batch.vlan[i] = saved[6];
  batch.payloadOffset[i] = saved[7];
  batch.payloadLength[i] = saved[8];
  batch.tcpSeq[i] = saved[9];
  for (let w = 0; w < 4; w++) {
    batch.src[base + w] = saved[10 + w];
    batch.dst[base + w] = saved[14 + w];
  }
}

function nonIp(batch: PacketBatch, i: number): number {
  batch.kind[i] = PacketKind.NonIp;
  return TunnelKind.None;
}

function invalid(batch: PacketBatch, i: number, flag: number): number {
  batch.kind[i] = PacketKind.Invalid;
  batch.flags[i] |= flag;
  return TunnelKind.None;
}
