// Names in the first message a client sends in a few protocols nDPI also reads them from:
// Agora's SD-RTN (the edge server's name), collectd (the reporting host's name), Xiaomi's push
// service (the server's domain) and WHOIS (the name asked about). Nothing here throws or reads
// outside the given range.

import { u16, u32 } from "./bytes.ts";
import { asciiName } from "./name_text.ts";

/** "\x04SNI": the tag before an SD-RTN datagram's server name. */
const SD_RTN_TAG = 0x04534e49;

/** The server name of an Agora SD-RTN datagram: 0x21 at byte 6, the tag at 12, then the name. */
export function parseSdRtnName(bytes: Uint8Array, offset: number, length: number): string | null {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < 20 || bytes[offset + 6] !== 0x21) return null;
  if (u32(bytes, offset + 12) !== SD_RTN_TAG || bytes[offset + 18] !== 0) return null;
  const n = u16(bytes, offset + 16);
  return offset + 19 + n <= end ? asciiName(bytes, offset + 19, n) : null;
}

/**
 * A part type of collectd's binary protocol: host to high-resolution interval (0-9), message,
 * severity, signature, encryption.
 */
function isCollectdPart(type: number): boolean {
  return type <= 0x0009 || type === 0x0100 || type === 0x0101 || type === 0x0200 ||
    type === 0x0210;
}

const COLLECTD_HOST = 0x0000;
/** Parts walked, and parts needed before the datagram counts as collectd. */
const COLLECTD_MAX_PARTS = 5;
const COLLECTD_MIN_PARTS = 3;

/**
 * The host name in a collectd datagram's HOST part (type 0, a NUL-terminated string), when the
 * datagram starts with at least three well-formed parts of known types.
 */
export function parseCollectdHost(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length);
  let host: string | null = null;
  let parts = 0;
  let p = offset;
  for (; parts < COLLECTD_MAX_PARTS && p + 4 <= end; parts++) {
    const type = u16(bytes, p);
    const size = u16(bytes, p + 2);
    if (!isCollectdPart(type) || size < 4 || p + size > end) break;
    if (type === COLLECTD_HOST && host === null) {
      let n = 0;
      while (n < size - 4 && bytes[p + 4 + n] !== 0) n++;
      host = asciiName(bytes, p + 4, n);
    }
    p += size;
  }
  return parts >= COLLECTD_MIN_PARTS ? host : null;
}

const XIAOMI_MAGIC = 0xc2fe0005;
const XIAOMI_KIND = 0x00020016;
const XIAOMI_TLV_START = 16;
const XIAOMI_DOMAIN = 0x3a;

/**
 * The server domain a Xiaomi push client sends (TLV 0x3a of its first message: magic, length,
 * kind, then one-byte type and length pairs), without a port.
 */
export function parseXiaomiDomain(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < 12 || u32(bytes, offset) !== XIAOMI_MAGIC) return null;
  if (u32(bytes, offset + 4) + 12 !== end - offset || u32(bytes, offset + 8) !== XIAOMI_KIND) {
    return null;
  }
  for (let p = offset + XIAOMI_TLV_START; p + 1 < end;) {
    const type = bytes[p];
    const n = bytes[p + 1];
    p += 2;
    if (type === 0x28 || type === 0x08) continue; // types that carry no length-prefixed value
    if (p + n >= end) return null;
    if (type === XIAOMI_DOMAIN) {
      let e = p;
      while (e < p + n && bytes[e] !== 0x3a) e++; // "domain:port"
      return asciiName(bytes, p, e - p);
    }
    p += n;
  }
  return null;
}

/**
 * The name a WHOIS request asks about: the whole request, one line of a host name ending in
 * CRLF (RFC 3912). Queries with flags or spaces ("-T dn example.com") name nothing here.
 */
export function parseWhoisQuery(bytes: Uint8Array, offset: number, length: number): string | null {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - offset < 4 || bytes[end - 2] !== 0x0d || bytes[end - 1] !== 0x0a) {
    return null;
  }
  const name = asciiName(bytes, offset, end - 2 - offset);
  return name && /^[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?$/.test(name) ? name : null;
}
