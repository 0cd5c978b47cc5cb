// Decrypts the client Initial packets of a QUIC datagram and returns their CRYPTO frame data,
// which holds the TLS ClientHello (or Google's CHLO). The caller reassembles the data by offset
// across frames and datagrams: Chrome splits its ClientHello across both.
//
// Per RFC 9001 5: keys come from the destination connection ID (quic_keys.ts), header
// protection is removed with an AES-ECB mask over a 16-byte sample, and the payload is opened
// with AES-128-GCM, whose tag proves the keys right. Only a flow's first packets come here, so
// allocating is fine; nothing throws, and nothing outside [offset, offset + length) is read.

import { createDecipheriv } from "node:crypto";
import { headerMask, initialKeys, type VersionRules, versionRules } from "./quic_keys.ts";
import { u32 } from "./bytes.ts";

/** Data of one CRYPTO frame at `offset` in the crypto stream. */
export interface QuicCryptoChunk {
  offset: number;
  data: Uint8Array;
}

/** What readQuicInitials() found in one datagram. */
export interface QuicInitials {
  version: number;
  /** The destination connection ID whose keys opened the packets. */
  dcid: Uint8Array;
  /** True when the crypto stream holds a TLS ClientHello; false for Google's CHLO (Q050). */
  tls: boolean;
  chunks: QuicCryptoChunk[];
  /** Initial packets opened. */
  opened: number;
}

const MAX_CID = 20;
/** RFC 9000 14.1: a client's Initial datagram is at least 1200 bytes; some stacks pad less. */
const MIN_INITIAL_DATAGRAM = 1000;
const TAG = 16;
/** Coalesced packets walked in one datagram. */
const MAX_PACKETS = 8;

/** The version of a long-header QUIC packet at `offset`, or -1 (short header or too short). */
export function longHeaderVersion(bytes: Uint8Array, offset: number, length: number): number {
  if (length < 7 || offset + 5 > bytes.length || (bytes[offset] & 0x80) === 0) return -1;
  return u32(bytes, offset + 1);
}

/**
 * Opens the client Initial packets of the datagram `bytes[offset, offset + length)`. Keys come
 * from each packet's destination connection ID, or from `firstDcid` (the one of the flow's
 * first Initial, which a client keeps using for keys after the server picks a new ID). Null
 * when nothing could be opened.
 */
export function readQuicInitials(
  bytes: Uint8Array,
  offset: number,
  length: number,
  firstDcid?: Uint8Array,
): QuicInitials | null {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < MIN_INITIAL_DATAGRAM) return null;
  const version = longHeaderVersion(bytes, offset, end - offset);
  const rules = version < 0 ? null : versionRules(version);
  if (!rules) return null;
  let result: QuicInitials | null = null;
  let p = offset;
  for (let n = 0; n < MAX_PACKETS && end - p > 7 && (bytes[p] & 0x80) !== 0; n++) {
    const next = openPacket(bytes, p, end, version, rules, firstDcid, (dcid, plain) => {
      result ??= { version, dcid, tls: rules.tls, chunks: [], opened: 0 };
      result.opened++;
      readCryptoFrames(plain, rules.cryptoFrame, result.chunks);
    });
    if (next <= p) break;
    p = next;
  }
  return result;
}

/**
 * Opens the long-header packet at `p` when it is a client Initial of `version`, handing its
 * plaintext to `onPlain`. Returns where the next coalesced packet starts, or -1.
 */
function openPacket(
  bytes: Uint8Array,
  p: number,
  end: number,
  version: number,
  rules: VersionRules,
  firstDcid: Uint8Array | undefined,
  onPlain: (dcid: Uint8Array, plain: Uint8Array) => void,
): number {
  // Long header: flags (1), version (4), DCID length (1), DCID, SCID length (1), SCID.
  const start = p;
  if (u32(bytes, p + 1) !== version) return -1;
  const type = (bytes[p] >> 4) & 0x03;
  p += 5;
  const dcidLength = bytes[p];
  if (dcidLength > MAX_CID || p + 1 + dcidLength >= end) return -1;
  const dcid = bytes.slice(p + 1, p + 1 + dcidLength);
  p += 1 + dcidLength;
  const scidLength = bytes[p];
  if (scidLength > MAX_CID || p + 1 + scidLength >= end) return -1;
  p += 1 + scidLength;
  const isInitial = type === rules.initialType;
  if (isInitial) {
    // Token length (varint) and token.
    const token = readVarint(bytes, p, end);
    if (token < 0) return -1;
    p = varintEnd + token;
  } else if (type === (rules.initialType === 0 ? 3 : 0)) {
    return -1; // a Retry (type 3 in v1, 0 in v2) has no length field: nothing follows it
  }
  const payloadLength = readVarint(bytes, p, end);
  if (payloadLength < 0) return -1;
  const pnOffset = varintEnd;
  const packetEnd = pnOffset + payloadLength;
  if (packetEnd > end || payloadLength < 4 + TAG) return -1;
  if (!isInitial || dcidLength === 0) return packetEnd;
  const candidates = firstDcid && !sameBytes(firstDcid, dcid) ? [dcid, firstDcid] : [dcid];
  for (const cid of candidates) {
    for (const salt of rules.salts) {
      const plain = openWith(
        bytes,
        start,
        pnOffset,
        packetEnd,
        initialKeys(salt, rules.labelPrefix, cid),
      );
      if (plain) {
        onPlain(cid, plain);
        return packetEnd;
      }
    }
  }
  return packetEnd;
}

/** Removes header protection and opens the payload; null when the AEAD tag does not verify. */
function openWith(
  bytes: Uint8Array,
  start: number,
  pnOffset: number,
  packetEnd: number,
  keys: { key: Uint8Array; iv: Uint8Array; hp: Uint8Array },
): Uint8Array | null {
  // The sample starts 4 bytes after the packet number's start, whatever its length.
  if (pnOffset + 4 + 16 > packetEnd) return null;
  const mask = headerMask(keys.hp, bytes.subarray(pnOffset + 4, pnOffset + 20));
  const first = bytes[start] ^ (mask[0] & 0x0f); // long header: low 4 bits protected
  const pnLength = (first & 0x03) + 1;
  const header = bytes.slice(start, pnOffset + pnLength);
  header[0] = first;
  let pn = 0;
  for (let i = 0; i < pnLength; i++) {
    header[pnOffset - start + i] ^= mask[1 + i];
    pn = pn * 256 + header[pnOffset - start + i];
  }
  const cipherStart = pnOffset + pnLength;
  const tagStart = packetEnd - TAG;
  if (tagStart <= cipherStart) return null;
  // Nonce: the IV with the packet number XORed into its low bytes (RFC 9001 5.3).
  const nonce = keys.iv.slice();
  for (let i = 0; i < 4; i++) nonce[11 - i] ^= (pn >>> (8 * i)) & 0xff;
  try {
    const decipher = createDecipheriv("aes-128-gcm", keys.key, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(bytes.subarray(tagStart, packetEnd));
    const head = decipher.update(bytes.subarray(cipherStart, tagStart));
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    const plain = new Uint8Array(head.length + tail.length);
    plain.set(head);
    plain.set(tail, head.length);
    return plain;
  } catch {
    return null; // wrong keys or a damaged packet: the tag did not verify
  }
}

/**
 * Collects CRYPTO frames from an Initial's plaintext, skipping PADDING, PING and ACK; stops at
 * anything else (CONNECTION_CLOSE or a frame not allowed in Initials).
 */
function readCryptoFrames(plain: Uint8Array, cryptoFrame: number, out: QuicCryptoChunk[]): void {
  let p = 0;
  const end = plain.length;
  while (p < end) {
    const type = plain[p];
    if (type === 0x00 || type === 0x01) {
      p++;
    } else if (type === 0x02 || type === 0x03) {
      // ACK: largest, delay, range count, first range, then (gap, length) pairs; ECN counts.
      p++;
      for (let i = 0; i < 2 && p >= 0; i++) p = skipVarint(plain, p, end);
      const ranges = readVarint(plain, p, end);
      if (ranges < 0 || ranges > 256) return;
      p = skipVarint(plain, varintEnd, end);
      for (let i = 0; i < 2 * ranges && p >= 0; i++) p = skipVarint(plain, p, end);
      if (type === 0x03) { for (let i = 0; i < 3 && p >= 0; i++) p = skipVarint(plain, p, end); }
      if (p < 0) return;
    } else if (type === cryptoFrame) {
      const at = readVarint(plain, p + 1, end);
      if (at < 0) return;
      const size = readVarint(plain, varintEnd, end);
      if (size < 0 || varintEnd + size > end) return;
      out.push({ offset: at, data: plain.subarray(varintEnd, varintEnd + size) });
      p = varintEnd + size;
    } else {
      return;
    }
  }
}

/** Where the last readVarint() ended. */
let varintEnd = 0;

/** A QUIC variable-length integer (RFC 9000 16) at `p`; -1 when cut short or above 2^53. */
function readVarint(bytes: Uint8Array, p: number, end: number): number {
  if (p < 0 || p >= end) return -1;
  const size = 1 << (bytes[p] >> 6);
  if (p + size > end) return -1;
  let value = bytes[p] & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + bytes[p + i];
  if (value > Number.MAX_SAFE_INTEGER) return -1;
  varintEnd = p + size;
  return value;
}

function skipVarint(bytes: Uint8Array, p: number, end: number): number {
  return readVarint(bytes, p, end) < 0 ? -1 : varintEnd;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
