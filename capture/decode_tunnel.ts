// Reads a tunnel's own header and says what it carries and where: the first step of taking a
// packet out of VXLAN, Geneve, GRE (with ERSPAN), IP-in-IP, GTP-U, Teredo or CAPWAP.
//
// Hot path, no allocation: tunnelPayload() checks every field it reads against the tunnel's
// bytes, returns the type of what follows (an ethertype or pseudo-type, see ethertype.ts) or
// NO_TUNNEL, and leaves where the inner packet starts in `innerAt.start`.

import { EtherType } from "./ethertype.ts";
import { TunnelKind } from "./packet_batch.ts";

/** The header is not one this decoder takes apart: the packet stays as its outer header says. */
export const NO_TUNNEL = -1;

/** Where the packet inside the tunnel starts, and where it ends (at most the tunnel's end). */
export const innerAt = { start: 0, end: 0 };

/** GRE flag bits (RFC 2784, 2890; RFC 2637 for version 1). */
const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_ACK = 0x0080;
const GRE_VERSION = 0x0007;
/** GTP-U: version 1 and protocol type GTP (not GTP'), and the G-PDU message that carries data. */
const GTP_V1_PT = 0x30;
const GTP_E_S_PN = 0x07;
const GTP_EXTENSION = 0x04;
const GTP_GPDU = 0xff;
/** Teredo indications before the IPv6 header (RFC 4380 section 5.1.1). */
const TEREDO_AUTH = 0x0001;
const TEREDO_ORIGIN = 0x0000;
/** CAPWAP wireless binding for IEEE 802.11 (RFC 5416). */
const CAPWAP_WBID_80211 = 1;

/**
 * Reads the header of tunnel `kind` in `b[start, end)`. Returns the type of the inner packet
 * (see `innerAt`), or NO_TUNNEL when the header is short, of another version, or carries
 * nothing Netwatch decodes (keep-alives, fragments, control messages).
 */
export function tunnelPayload(
  kind: number,
  b: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
): number {
  innerAt.end = end;
  switch (kind) {
    case TunnelKind.IpIp:
    case TunnelKind.Ip4in6:
      innerAt.start = start;
      return EtherType.Ipv4;
    case TunnelKind.Ip6in4:
    case TunnelKind.Ip6in6:
      innerAt.start = start;
      return EtherType.Ipv6;
    case TunnelKind.Vxlan:
      // 8 bytes: flags (I: a valid VNI), 3 reserved, VNI (24 bits), 1 reserved; then Ethernet
      if (end - start < 8 || (b[start] & 0x08) === 0) return NO_TUNNEL;
      innerAt.start = start + 8;
      return EtherType.Ethernet;
    case TunnelKind.Geneve: {
      // version (2 bits) and options length in 4-byte words (6 bits), flags, protocol type,
      // VNI (24 bits), reserved; then the options
      if (end - start < 8 || (b[start] & 0xc0) !== 0) return NO_TUNNEL;
      innerAt.start = start + 8 + ((b[start] & 0x3f) << 2);
      return dv.getUint16(start + 2);
    }
    case TunnelKind.Gre:
      return gre(b, dv, start, end);
    case TunnelKind.GtpU:
      return gtpU(b, dv, start, end);
    case TunnelKind.Teredo:
      return teredo(b, dv, start, end);
    case TunnelKind.Capwap:
      return capwap(dv, start, end);
  }
  return NO_TUNNEL;
}

/**
 * GRE version 0: flags and version, protocol type, then checksum and offset (C), key (K) and
 * sequence number (S), 4 bytes each. Version 1 (PPTP) always has a key (payload length and
 * call ID), a sequence number when S and an acknowledgment when A, and carries PPP. Source
 * routing (R, RFC 1701) is not followed. ERSPAN (GRE type 0x88BE, 0x22EB) carries an Ethernet
 * frame after its own header.
 */
function gre(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p < 4) return NO_TUNNEL;
  const flags = dv.getUint16(p);
  const protocol = dv.getUint16(p + 2);
  if (flags & GRE_ROUTING) return NO_TUNNEL;
  let header = 4;
  const version = flags & GRE_VERSION;
  if (version === 0) {
    if (flags & GRE_CHECKSUM) header += 4;
    if (flags & GRE_KEY) header += 4;
    if (flags & GRE_SEQUENCE) header += 4;
  } else if (version === 1) {
    if ((flags & (GRE_CHECKSUM | GRE_KEY)) !== GRE_KEY || protocol !== EtherType.Ppp) {
      return NO_TUNNEL;
    }
    header += 4;
    if (flags & GRE_SEQUENCE) header += 4;
    if (flags & GRE_ACK) header += 4;
  } else {
    return NO_TUNNEL;
  }
  p += header;
  if (p >= end) return NO_TUNNEL; // an acknowledgment or keep-alive: nothing inside
  innerAt.start = p;
  if (protocol === EtherType.ErspanII) {
    // Type I has no header of its own; type II (sequence number present) has 8 bytes,
    // starting with version 1 in the top nibble.
    if ((flags & GRE_SEQUENCE) === 0) return EtherType.Ethernet;
    if (end - p < 8 || b[p] >> 4 !== 1) return NO_TUNNEL;
    innerAt.start = p + 8;
    return EtherType.Ethernet;
  }
  if (protocol === EtherType.ErspanIII) {
    // 12 bytes, version 2; frame type (byte 10, bits 2-6) 0 is Ethernet; the O bit (byte 11,
    // bit 0) adds an 8-byte platform-specific subheader.
    if (end - p < 12 || b[p] >> 4 !== 2 || (b[p + 10] & 0x7c) !== 0) return NO_TUNNEL;
    innerAt.start = p + 12 + ((b[p + 11] & 0x01) << 3);
    return EtherType.Ethernet;
  }
  return protocol;
}

/**
 * GTP-U version 1 (3GPP TS 29.281): flags, message type, length (of what follows the first 8
 * bytes), TEID; 4 more bytes (sequence, N-PDU, next extension type) when E, S or PN is set;
 * then extension headers, each a length in 4-byte units with the next type in its last byte.
 * Only G-PDUs carry user packets; echo, error indication and end marker do not.
 */
function gtpU(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p < 8) return NO_TUNNEL;
  const flags = b[p];
  if ((flags & 0xf0) !== GTP_V1_PT || b[p + 1] !== GTP_GPDU) return NO_TUNNEL;
  const declaredEnd = p + 8 + dv.getUint16(p + 2);
  if (declaredEnd < innerAt.end) innerAt.end = declaredEnd;
  let at = p + 8;
  if (flags & GTP_E_S_PN) {
    if (end - at < 4) return NO_TUNNEL;
    let next = flags & GTP_EXTENSION ? b[at + 3] : 0;
    at += 4;
    // Every extension is at least 4 bytes long, so the chain ends within the bytes.
    while (next !== 0) {
      if (end - at < 1) return NO_TUNNEL;
      const length = b[at] << 2;
      if (length === 0 || end - at < length) return NO_TUNNEL;
      next = b[at + length - 1];
      at += length;
    }
  }
  if (at >= innerAt.end) return NO_TUNNEL;
  innerAt.start = at;
  return EtherType.IpByVersion;
}

/**
 * Teredo: an optional authentication indication (0x0001, client ID and authentication value
 * lengths, both values, an 8-byte nonce and a confirmation byte), then an optional origin
 * indication (0x0000, port and address: 8 bytes), then an IPv6 packet.
 */
function teredo(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p >= 4 && dv.getUint16(p) === TEREDO_AUTH) p += 4 + b[p + 2] + b[p + 3] + 9;
  if (end - p >= 8 && dv.getUint16(p) === TEREDO_ORIGIN) p += 8;
  if (end - p < 1 || b[p] >> 4 !== 6) return NO_TUNNEL;
  innerAt.start = p;
  return EtherType.Ipv6;
}

/**
 * CAPWAP data (RFC 5415 section 4.3): preamble (version 0, type 0: not DTLS), header length
 * in 4-byte words, radio ID, wireless binding, flags; its payload an 802.3 frame (T clear) or
 * the binding's native frame (T set: 802.11). Keep-alives and fragments are not followed.
 */
function capwap(dv: DataView, p: number, end: number): number {
  if (end - p < 8) return NO_TUNNEL;
  const word = dv.getUint32(p); // preamble (8), HLEN (5), RID (5), WBID (5), T F L W M K, flags
  if (word >>> 24 !== 0) return NO_TUNNEL; // version 0, type 0 (1 is a DTLS record)
  const header = ((word >>> 19) & 0x1f) << 2;
  const nativeFrame = (word & 0x100) !== 0; // T
  const fragment = (word & 0x80) !== 0; // F
  const keepAlive = (word & 0x08) !== 0; // K
  if (header < 8 || fragment || keepAlive || end - p <= header) return NO_TUNNEL;
  innerAt.start = p + header;
  if (!nativeFrame) return EtherType.Ethernet;
  if (((word >>> 9) & 0x1f) !== CAPWAP_WBID_80211) return NO_TUNNEL;
  return EtherType.Ieee80211Capwap;
}
