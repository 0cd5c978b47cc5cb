// Framings that lead to an ethertype: PPP, Cisco HDLC, IEEE 802.11 data frames and the
// radiotap and PPI headers in front of 802.11 captures.
//
// Hot path, no allocation: each reader checks the captured length, returns the ethertype that
// follows (or FRAME_NOT_IP / FRAME_TRUNCATED) and leaves where it starts in `framed.offset`.

import { EtherType } from "./ethertype.ts";

/** The frame is well formed but carries no IP (control protocols, management, encrypted). */
export const FRAME_NOT_IP = -1;
/** The framing header was cut short by the capture. */
export const FRAME_TRUNCATED = -2;

/** Where the payload of the framing the last reader returned starts. */
export const framed = { offset: 0 };

/** PPP protocol numbers, by the ethertype each leads to. */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;
const PPP_MPLS_MULTICAST = 0x0283;
/** DLT_PPP_SERIAL frames that start with a Cisco HDLC address are Cisco HDLC (as tcpdump). */
const CHDLC_UNICAST = 0x0f;
const CHDLC_BROADCAST = 0x8f;
/** DLTs a PPI header may announce. */
const DLT_EN10MB = 1;
const DLT_IEEE802_11 = 105;

/**
 * A PPP frame at `p` (RFC 1661/1662): the address and control bytes (FF 03) are optional, and
 * a protocol whose first byte is odd is one byte long (protocol field compression).
 */
export function readPpp(b: Uint8Array, p: number, end: number): number {
  if (end - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
  if (end - p < 1) return FRAME_TRUNCATED;
  let protocol = b[p];
  if ((protocol & 1) === 0) {
    if (end - p < 2) return FRAME_TRUNCATED;
    protocol = (protocol << 8) | b[p + 1];
    p += 2;
  } else {
    p += 1;
  }
  framed.offset = p;
  switch (protocol) {
    case PPP_IPV4:
      return EtherType.Ipv4;
    case PPP_IPV6:
      return EtherType.Ipv6;
    case PPP_MPLS:
      return EtherType.Mpls;
    case PPP_MPLS_MULTICAST:
      return EtherType.MplsMulticast;
  }
  return FRAME_NOT_IP; // LCP, IPCP, CHAP, ...
}

/** A Cisco HDLC frame at `p`: address, control, then an ethertype (SLARP and CDP are not IP). */
export function readCiscoHdlc(dv: DataView, p: number, end: number): number {
  if (end - p < 4) return FRAME_TRUNCATED;
  framed.offset = p + 4;
  return dv.getUint16(p + 2);
}

/** DLT_PPP_SERIAL: PPP in HDLC-like framing, or Cisco HDLC when the address byte says so. */
export function readPppSerial(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p >= 1 && (b[p] === CHDLC_UNICAST || b[p] === CHDLC_BROADCAST)) {
    return readCiscoHdlc(dv, p, end);
  }
  return readPpp(b, p, end);
}

/**
 * An IEEE 802.11 frame at `p`. Only unencrypted data frames carry IP, after an LLC/SNAP header
 * (RFC 1042 or bridge-tunnel OUI). Management, control, null, encrypted and A-MSDU frames are
 * counted as not IP. With `swappable`, a frame control field whose two bytes are swapped (as
 * Cisco access points send it over CAPWAP, and as tshark and nDPI read it) is read too.
 */
export function read80211(
  b: Uint8Array,
  dv: DataView,
  p: number,
  end: number,
  swappable: boolean,
): number {
  if (end - p < 2) return FRAME_TRUNCATED;
  let fc0 = b[p]; // byte 0: subtype (4 bits), type (2 bits), protocol version (2 bits)
  let fc1 = b[p + 1]; // byte 1: order, protected, more data, power, retry, more frag, DS bits
  if (swappable && (fc0 & 0x0f) !== 0x08 && (fc1 & 0x0f) === 0x08) {
    fc0 = b[p + 1];
    fc1 = b[p];
  }
  if ((fc0 & 0x03) !== 0 || (fc0 & 0x0c) !== 0x08) return FRAME_NOT_IP; // version 0, type data
  if (fc0 & 0x40) return FRAME_NOT_IP; // null-function subtypes: no body
  if (fc1 & 0x40) return FRAME_NOT_IP; // protected: the body is encrypted
  const qos = (fc0 & 0x80) !== 0;
  let header = 24;
  if ((fc1 & 0x03) === 0x03) header += 6; // to DS and from DS: a fourth address
  if (qos) header += 2;
  if (qos && (fc1 & 0x80)) header += 4; // HT control, with the order bit of a QoS frame
  if (end - p < header + 8) return FRAME_TRUNCATED;
  if (qos && (b[p + header - (fc1 & 0x80 ? 6 : 2)] & 0x80)) return FRAME_NOT_IP; // A-MSDU
  const l = p + header;
  // LLC/SNAP: AA AA 03, OUI 000000 (RFC 1042) or 0000F8 (802.1H bridge tunnel), ethertype
  if (b[l] !== 0xaa || b[l + 1] !== 0xaa || b[l + 2] !== 0x03) return FRAME_NOT_IP;
  if (b[l + 3] !== 0 || b[l + 4] !== 0 || (b[l + 5] !== 0 && b[l + 5] !== 0xf8)) {
    return FRAME_NOT_IP;
  }
  framed.offset = l + 8;
  return dv.getUint16(l + 6);
}

/** A radiotap header at `p` (little-endian length in bytes 2-3), then an 802.11 frame. */
export function readRadiotap(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p < 4) return FRAME_TRUNCATED;
  const length = dv.getUint16(p + 2, true);
  if (b[p] !== 0 || length < 8) return FRAME_NOT_IP; // version 0; 8 bytes at least
  return read80211(b, dv, p + length, end, false);
}

/** A PPI header at `p` (version, flags, length, DLT; little-endian), then Ethernet or 802.11. */
export function readPpi(b: Uint8Array, dv: DataView, p: number, end: number): number {
  if (end - p < 8) return FRAME_TRUNCATED;
  const length = dv.getUint16(p + 2, true);
  const dlt = dv.getUint32(p + 4, true);
  if (b[p] !== 0 || length < 8) return FRAME_NOT_IP;
  framed.offset = p + length;
  if (dlt === DLT_EN10MB) return EtherType.Ethernet;
  if (dlt === DLT_IEEE802_11) return EtherType.Ieee80211;
  return FRAME_NOT_IP;
}
