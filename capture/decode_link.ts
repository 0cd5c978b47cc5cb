// Decodes one captured frame, link layer first, into a PacketBatch slot.
//
// Hot path: called once per packet with integer arguments only. No allocation, no exceptions,
// every read bounds-checked against `end`. Ethertype chains (VLAN tags, MPLS labels, PPPoE,
// LLC/SNAP) are walked in a loop with a fixed bound, never by recursion.

import { decodeIpv4, decodeIpv6 } from "./decode_ip.ts";
import { LinkDecoder } from "./link_types.ts";
import { Flag, PacketBatch, PacketKind } from "./packet_batch.ts";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100; // 802.1Q customer tag
const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag
const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard double tagging
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Below this an Ethernet type field is an 802.3 length, and an LLC header follows. */
const ETHERTYPE_MIN = 0x0600;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const ARPHRD_NETLINK = 824;
/** NFLOG TLV type carrying the packet (NFULA_PAYLOAD); the top two bits of a type are flags. */
const NFULA_PAYLOAD = 9;
/** Bound on tags, labels and encapsulations walked per frame. */
const MAX_ENCAPSULATIONS = 16;
/** Address families of BSD-style loopback headers. */
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24; // NetBSD, OpenBSD
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/**
 * Decodes the frame at `bytes[off, off + capLen)` with link decoder `decoder` (from
 * link_types.ts) into slot `i` of `batch`, which the caller has cleared.
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
  const end = off + capLen;
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
      return decodeIpByVersion(b, dv, off, end, batch, i);
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
    default:
      batch.kind[i] = PacketKind.Undecoded;
  }
}

/** Follows VLAN tags, LLC/SNAP, PPPoE and MPLS from an ethertype at `p` to the IP header. */
function decodeEthertype(
  b: Uint8Array,
  dv: DataView,
  type: number,
  p: number,
  end: number,
  batch: PacketBatch,
  i: number,
): void {
  for (let n = 0; n < MAX_ENCAPSULATIONS; n++) {
    switch (type) {
      case ETHERTYPE_IPV4:
        return decodeIpv4(b, dv, p, end, batch, i);
      case ETHERTYPE_IPV6:
        return decodeIpv6(b, dv, p, end, batch, i);
      case ETHERTYPE_VLAN:
      case ETHERTYPE_QINQ:
      case ETHERTYPE_QINQ_OLD:
        // bytes 0-1: priority (3 bits), DEI (1), VLAN id (12); bytes 2-3: inner ethertype
        if (end - p < 4) return invalid(batch, i, Flag.Truncated);
        if ((batch.flags[i] & Flag.Vlan) === 0) {
          batch.vlan[i] = dv.getUint16(p) & 0x0fff;
          batch.flags[i] |= Flag.Vlan;
        }
        type = dv.getUint16(p + 2);
        p += 4;
        continue;
      case ETHERTYPE_MPLS:
      case ETHERTYPE_MPLS_MULTICAST:
        return decodeMpls(b, dv, p, end, batch, i);
      case ETHERTYPE_PPPOE_SESSION: {
        // 6-byte PPPoE header, then the 2-byte PPP protocol
        if (end - p < 8) return invalid(batch, i, Flag.Truncated);
        const ppp = dv.getUint16(p + 6);
        if (ppp === PPP_IPV4) return decodeIpv4(b, dv, p + 8, end, batch, i);
        if (ppp === PPP_IPV6) return decodeIpv6(b, dv, p + 8, end, batch, i);
        return nonIp(batch, i);
      }
    }
    if (type >= ETHERTYPE_MIN) return nonIp(batch, i);
    // 802.3 length field: only LLC/SNAP with a zero OUI carries an ethertype (AA AA 03 000000).
    if (
      end - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03 &&
      b[p + 3] === 0 && b[p + 4] === 0 && b[p + 5] === 0
    ) {
      type = dv.getUint16(p + 6);
      p += 8;
      if (type < ETHERTYPE_MIN) return nonIp(batch, i);
      continue;
    }
    return nonIp(batch, i);
  }
  invalid(batch, i, Flag.Malformed);
}

/** Skips an MPLS label stack and guesses the payload from its first nibble, as tshark does. */
function decodeMpls(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  batch: PacketBatch,
  i: number,
): void {
  for (let n = 0; n < MAX_ENCAPSULATIONS; n++) {
    if (end - p < 4) return invalid(batch, i, Flag.Truncated);
    const bottom = b[p + 2] & 0x01; // byte 2: EXP (3 bits), bottom of stack (1 bit)
    p += 4;
    if (bottom) {
      if (end - p < 1) return invalid(batch, i, Flag.Truncated);
      return decodeIpByVersion(b, dv, p, end, batch, i);
    }
  }
  invalid(batch, i, Flag.Malformed);
}

/** Raw IP whose version is only known from the first nibble; anything else is not IP. */
function decodeIpByVersion(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  batch: PacketBatch,
  i: number,
): void {
  if (end - p < 1) return invalid(batch, i, Flag.Truncated);
  const version = b[p] >> 4;
  if (version === 4) return decodeIpv4(b, dv, p, end, batch, i);
  if (version === 6) return decodeIpv6(b, dv, p, end, batch, i);
  invalid(batch, i, Flag.Malformed);
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
): void {
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
      return decodeIpByVersion(b, dv, p + 4, payloadEnd, batch, i);
    }
    p += (len + 3) & ~3;
  }
  // No payload TLV: a log record without the packet.
  nonIp(batch, i);
}

function nonIp(batch: PacketBatch, i: number): void {
  batch.kind[i] = PacketKind.NonIp;
}

function invalid(batch: PacketBatch, i: number, flag: number): void {
  batch.kind[i] = PacketKind.Invalid;
  batch.flags[i] |= flag;
}
