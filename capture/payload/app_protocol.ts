// Names the application protocol from a flow's first payload bytes, by signatures that are
// certain (a handshake's fixed bytes and lengths), never by port alone: the port guess is
// `service`'s job. Ports only tell flavours of one format apart (DNS, mDNS, LLMNR).
// Nothing here throws or reads outside the given range.

import { parseDnsMessage } from "./dns_message.ts";
import { HttpStatus, isHttpResponse, parseHttpRequest } from "./http_request.ts";
import { longHeaderVersion } from "./quic_initial.ts";
import { versionRules } from "./quic_keys.ts";
import { gquicNumber } from "./gquic_chlo.ts";
import { parseMgcpEndpoint } from "./mgcp_endpoint.ts";
import { parseNetbiosDatagramName } from "./netbios_name.ts";
import { startsWithText, u16, u32 } from "./bytes.ts";

/** Protocol ids; `PROTOCOL_NAMES[id]` is the label (nDPI's spelling where it has one). */
export const Protocol = {
  Unknown: 0,
  Tls: 1,
  Dtls: 2,
  Quic: 3,
  Http: 4,
  Dns: 5,
  Mdns: 6,
  Llmnr: 7,
  Ssh: 8,
  Smtp: 9,
  Imap: 10,
  Pop3: 11,
  Ftp: 12,
  Rdp: 13,
  Smb: 14,
  Ntp: 15,
  Dhcp: 16,
  Sip: 17,
  Stun: 18,
  BitTorrent: 19,
  Mqtt: 20,
  Postgres: 21,
  Mysql: 22,
  Ssdp: 23,
  Rtsp: 24,
  WireGuard: 25,
  Mgcp: 26,
  /** NetBIOS name service (UDP 137, DNS-shaped) and datagram service (UDP 138). */
  Netbios: 27,
} as const;

/** Labels by protocol id. */
export const PROTOCOL_NAMES: readonly string[] = [
  "",
  "TLS",
  "DTLS",
  "QUIC",
  "HTTP",
  "DNS",
  "MDNS",
  "LLMNR",
  "SSH",
  "SMTP",
  "IMAP",
  "POP3",
  "FTP",
  "RDP",
  "SMB",
  "NTP",
  "DHCP",
  "SIP",
  "STUN",
  "BitTorrent",
  "MQTT",
  "PostgreSQL",
  "MySQL",
  "SSDP",
  "RTSP",
  "WireGuard",
  "MGCP",
  "NetBIOS",
];

const TCP = 6;
const UDP = 17;
const NETBIOS_NAME_PORT = 137;
const NETBIOS_DATAGRAM_PORT = 138;

/**
 * The protocol of the payload `bytes[offset, offset + length)` of a `proto` (6 or 17) packet in
 * either direction; Protocol.Unknown when no signature matches.
 */
export function detectProtocol(
  proto: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcPort: number,
  dstPort: number,
): number {
  const end = Math.min(offset + length, bytes.length);
  const n = end - offset;
  if (n <= 0 || offset < 0) return Protocol.Unknown;
  const b0 = bytes[offset];
  if (proto === TCP) {
    // TLS record: handshake (22) or alert/CCS, version 3.0-3.4.
    if (n >= 5 && b0 === 22 && bytes[offset + 1] === 3 && bytes[offset + 2] <= 4) {
      return Protocol.Tls;
    }
    if (startsWithText(bytes, offset, end, "SSH-") && n >= 8) return Protocol.Ssh;
    const http = parseHttpRequest(bytes, offset, n).status;
    if (http !== HttpStatus.NotHttp && n >= 16) {
      if (
        startsWithText(bytes, offset, end, "OPTIONS rtsp://") ||
        startsWithText(bytes, offset, end, "DESCRIBE ")
      ) {
        return Protocol.Rtsp;
      }
      return Protocol.Http;
    }
    if (isHttpResponse(bytes, offset, n)) return Protocol.Http;
    if (startsWithText(bytes, offset, end, "RTSP/1.0 ")) return Protocol.Rtsp;
    if (isSip(bytes, offset, end)) return Protocol.Sip;
    return tcpBinary(bytes, offset, end) || tcpBanner(bytes, offset, end);
  }
  if (proto !== UDP) return Protocol.Unknown;
  if (n >= 25 && b0 === 22 && bytes[offset + 1] === 0xfe && bytes[offset + 2] >= 0xfc) {
    return Protocol.Dtls;
  }
  if (isQuic(bytes, offset, end)) return Protocol.Quic;
  if (isDhcp(bytes, offset, end)) return Protocol.Dhcp;
  if (isStun(bytes, offset, end)) return Protocol.Stun;
  if (isSip(bytes, offset, end)) return Protocol.Sip;
  if (parseMgcpEndpoint(bytes, offset, n) !== null) return Protocol.Mgcp;
  if (
    startsWithText(bytes, offset, end, "M-SEARCH * HTTP/1.") ||
    startsWithText(bytes, offset, end, "NOTIFY * HTTP/1.")
  ) {
    return Protocol.Ssdp;
  }
  if (
    startsWithText(bytes, offset, end, "HTTP/1.1 200 OK") && (srcPort === 1900 || dstPort === 1900)
  ) {
    return Protocol.Ssdp; // an SSDP search answer
  }
  // WireGuard handshake initiation: type 1, three zero bytes, 148 bytes in all.
  if (
    n === 148 && b0 === 1 && bytes[offset + 1] === 0 && bytes[offset + 2] === 0 &&
    bytes[offset + 3] === 0
  ) {
    return Protocol.WireGuard;
  }
  if (
    srcPort === NETBIOS_DATAGRAM_PORT && dstPort === NETBIOS_DATAGRAM_PORT &&
    parseNetbiosDatagramName(bytes, offset, n) !== null
  ) {
    return Protocol.Netbios;
  }
  if (n >= 17 && parseDnsMessage(bytes, offset, n)) {
    // NetBIOS name service is DNS-shaped (RFC 1002) but is not DNS: nDPI says NetBIOS too.
    if (srcPort === NETBIOS_NAME_PORT || dstPort === NETBIOS_NAME_PORT) return Protocol.Netbios;
    if (srcPort === 5353 || dstPort === 5353) return Protocol.Mdns;
    if (srcPort === 5355 || dstPort === 5355) return Protocol.Llmnr;
    return Protocol.Dns;
  }
  if (isNtp(bytes, offset, end)) return Protocol.Ntp;
  return Protocol.Unknown;
}

/** Binary handshakes of TCP protocols: RDP, SMB, BitTorrent, MQTT, PostgreSQL, MySQL. */
function tcpBinary(bytes: Uint8Array, p: number, end: number): number {
  const n = end - p;
  // RDP: TPKT (03 00 length) then an X.224 Connection Request (0xe0).
  if (
    n >= 11 && bytes[p] === 3 && bytes[p + 1] === 0 && u16(bytes, p + 2) === n
  ) {
    if ((bytes[p + 5] & 0xf0) === 0xe0) return Protocol.Rdp;
  }
  // SMB over TCP: NetBIOS session message (00, 24-bit length) then 0xff/0xfe "SMB".
  if (
    n >= 8 && bytes[p] === 0 && (bytes[p + 4] === 0xff || bytes[p + 4] === 0xfe) &&
    startsWithText(bytes, p + 5, end, "SMB")
  ) {
    return Protocol.Smb;
  }
  if (n >= 20 && bytes[p] === 19 && startsWithText(bytes, p + 1, end, "BitTorrent protocol")) {
    return Protocol.BitTorrent;
  }
  // MQTT CONNECT: 0x10, remaining length (1-4 bytes), then "\0\4MQTT" or "\0\6MQIsdp".
  if (n >= 10 && bytes[p] === 0x10) {
    let q = p + 1;
    while (q < end && q < p + 4 && (bytes[q] & 0x80) !== 0) q++;
    q++;
    if (
      startsWithText(bytes, q, end, "\0\x04MQTT") || startsWithText(bytes, q, end, "\0\x06MQIsdp")
    ) {
      return Protocol.Mqtt;
    }
  }
  // PostgreSQL: length (4) then protocol 3.0, or the SSLRequest / GSSENCRequest codes.
  if (n >= 8 && u32(bytes, p) === n) {
    const code = u32(bytes, p + 4);
    if (code === 0x00030000 || (n === 8 && (code === 80877103 || code === 80877104))) {
      return Protocol.Postgres;
    }
  }
  // MySQL server greeting: 3-byte length, sequence 0, protocol 10, "5." or "8." version text.
  if (
    n >= 10 && (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) === n - 4 &&
    bytes[p + 3] === 0
  ) {
    if (
      bytes[p + 4] === 10 && bytes[p + 5] >= 0x34 && bytes[p + 5] <= 0x39 && bytes[p + 6] === 0x2e
    ) {
      return Protocol.Mysql;
    }
  }
  return Protocol.Unknown;
}

/** Text greetings and commands of mail and file protocols. */
function tcpBanner(bytes: Uint8Array, p: number, end: number): number {
  if (startsWithText(bytes, p, end, "220 ") || startsWithText(bytes, p, end, "220-")) {
    const line = lineText(bytes, p, end).toUpperCase();
    if (line.includes("SMTP")) return Protocol.Smtp;
    if (line.includes("FTP")) return Protocol.Ftp;
    return Protocol.Unknown;
  }
  if (startsWithText(bytes, p, end, "EHLO ") || startsWithText(bytes, p, end, "HELO ")) {
    return Protocol.Smtp;
  }
  if (
    startsWithText(bytes, p, end, "* OK ") && lineText(bytes, p, end).toUpperCase().includes("IMAP")
  ) {
    return Protocol.Imap;
  }
  if (startsWithText(bytes, p, end, "* OK [CAPABILITY ")) return Protocol.Imap;
  if (
    startsWithText(bytes, p, end, "+OK ") && lineText(bytes, p, end).toUpperCase().includes("POP")
  ) {
    return Protocol.Pop3;
  }
  return Protocol.Unknown;
}

/** A long-header packet of a QUIC or gQUIC version whose Initials this project reads or knows. */
function isQuic(bytes: Uint8Array, p: number, end: number): boolean {
  if (end - p < 1000) return false; // client Initials are padded to 1200 bytes
  const version = longHeaderVersion(bytes, p, end - p);
  if (version >= 0) return versionRules(version) !== null || gquicNumber(version) >= 24;
  // gQUIC Q043 and older: public flags 0x09/0x0d with the version after an 8-byte CID.
  if ((bytes[p] & 0x89) === 0x09 && end - p > 13) return gquicNumber(u32(bytes, p + 9)) >= 24;
  return false;
}

/** BOOTP op 1/2, Ethernet addresses, and the DHCP magic cookie at offset 236. */
function isDhcp(bytes: Uint8Array, p: number, end: number): boolean {
  if (
    end - p < 240 || (bytes[p] !== 1 && bytes[p] !== 2) || bytes[p + 1] !== 1 || bytes[p + 2] !== 6
  ) return false;
  return u32(bytes, p + 236) === 0x63825363;
}

/** STUN (RFC 5389): type with the top two bits clear, length = rest, magic cookie 0x2112a442. */
export function isStun(bytes: Uint8Array, p: number, end: number): boolean {
  const n = end - p;
  if (n < 20 || (bytes[p] & 0xc0) !== 0) return false;
  const size = u16(bytes, p + 2);
  return u32(bytes, p + 4) === 0x2112a442 && size + 20 === n && (size & 3) === 0;
}

/** Starts of SIP request lines: each method with " sip:" and " sips:" (made once). */
const SIP_REQUESTS = [
  "INVITE",
  "REGISTER",
  "OPTIONS",
  "ACK",
  "BYE",
  "CANCEL",
  "SUBSCRIBE",
  "NOTIFY",
  "MESSAGE",
  "INFO",
].flatMap((m) => [`${m} sip:`, `${m} sips:`]);

/** A SIP request line ("INVITE sip:...") or status line ("SIP/2.0 200"). */
function isSip(bytes: Uint8Array, p: number, end: number): boolean {
  // Every start is a capital letter: most payloads are rejected by their first byte.
  if (end - p < 8 || bytes[p] < 0x41 || bytes[p] > 0x5a) return false;
  if (startsWithText(bytes, p, end, "SIP/2.0 ")) return true;
  for (const start of SIP_REQUESTS) if (startsWithText(bytes, p, end, start)) return true;
  return false;
}

/** NTP: 48 bytes (or with a 20/24-byte MAC), version 1-4, mode 1-5, stratum at most 16. */
function isNtp(bytes: Uint8Array, p: number, end: number): boolean {
  const n = end - p;
  if (n !== 48 && n !== 68 && n !== 72) return false;
  const version = (bytes[p] >> 3) & 0x07;
  const mode = bytes[p] & 0x07;
  return version >= 1 && version <= 4 && mode >= 1 && mode <= 5 && bytes[p + 1] <= 16;
}

/** The first line (at most 200 bytes) as text. */
function lineText(bytes: Uint8Array, p: number, end: number): string {
  let e = p;
  while (e < end && e < p + 200 && bytes[e] !== 0x0a) e++;
  return String.fromCharCode(...bytes.subarray(p, e));
}
