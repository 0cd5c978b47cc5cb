// Reads the server name from Google QUIC's handshake message (CHLO): in cleartext in Q046 and
// older packets, and inside the crypto stream of the encrypted Q050 (see quic_initial.ts).
// Nothing here throws or reads outside the given range.

import { asciiName } from "./name_text.ts";
import { u16, u32 } from "./bytes.ts";

/** A region of the input holding a CHLO message. */
export interface ChloRegion {
  version: number;
  start: number;
  end: number;
}

const Q046 = 0x51303436;
/** Bytes of the message authentication hash gQUIC puts before unencrypted frames. */
const HASH = 12;
const MAX_TAGS = 64;

/** A gQUIC version number "Q0NN", as NN; 0 when `version` is not one. */
export function gquicNumber(version: number): number {
  if ((version >>> 16) !== 0x5130) return 0; // "Q0"
  const tens = ((version >>> 8) & 0xff) - 0x30;
  const units = (version & 0xff) - 0x30;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : 0;
}

/**
 * Finds the CHLO of a client's cleartext gQUIC packet (Q046, or Q024-Q043 with the old public
 * header): the data of its first stream frame on stream 1. Null for anything else.
 */
export function findCleartextChlo(
  bytes: Uint8Array,
  offset: number,
  length: number,
): ChloRegion | null {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 32) return null;
  const flags = bytes[offset];
  let p: number;
  let version: number;
  if ((flags & 0x80) !== 0) {
    // Q046: long header 0xc3, version, CID lengths 0x50 (8-byte DCID), DCID, 4-byte packet number.
    version = u32(bytes, offset + 1);
    if (version !== Q046 || bytes[offset + 5] !== 0x50 || (flags & 0x03) !== 0x03) return null;
    p = offset + 1 + 4 + 1 + 8 + 4 + HASH;
  } else {
    // Old public header: flags (version 0x01, 8-byte CID 0x08, packet number length in 0x30),
    // CID (8), version (4), packet number (1, 2, 4 or 6), hash (12).
    if ((flags & 0x09) !== 0x09 || (flags & 0x04) !== 0) return null;
    version = u32(bytes, offset + 9);
    const number = gquicNumber(version);
    if (number < 24 || number > 43) return null;
    const pnLength = [1, 2, 4, 6][(flags >> 4) & 0x03];
    p = offset + 1 + 8 + 4 + pnLength + HASH + (number < 34 ? 1 : 0); // private flags before Q034
  }
  const bigEndian = version >= 0x51303339; // lengths turned big-endian in Q039
  // Stream frame: 1FDOOOSS (F fin, D length present, OOO offset length, SS stream-id length).
  if (p >= end) return null;
  const type = bytes[p];
  if ((type & 0x80) === 0 || (type & 0x20) === 0) return null;
  const idLength = (type & 0x03) + 1;
  const offsetBits = (type >> 2) & 0x07;
  const offsetLength = offsetBits === 0 ? 0 : offsetBits + 1;
  p += 1;
  if (p + idLength + offsetLength + 2 > end) return null;
  if (idLength !== 1 || bytes[p] !== 1) return null; // stream 1 carries the handshake
  p += idLength + offsetLength;
  const size = bigEndian ? u16(bytes, p) : bytes[p] | (bytes[p + 1] << 8);
  p += 2;
  return { version, start: p, end: Math.min(p + size, end) };
}

/**
 * Reads the SNI tag of a CHLO message at `bytes[offset, offset + length)`: "CHLO", tag count
 * (2, little-endian), padding (2), then (tag, end offset) pairs of 4 bytes each, then values.
 * Null when it is not a CHLO.
 */
export function parseChlo(
  bytes: Uint8Array,
  offset: number,
  length: number,
): { sni: string | null } | null {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 8) return null;
  if (bytes[offset] !== 0x43 || bytes[offset + 1] !== 0x48 || bytes[offset + 2] !== 0x4c) {
    return null;
  }
  if (bytes[offset + 3] !== 0x4f) return null; // "CHLO"
  const tags = bytes[offset + 4] | (bytes[offset + 5] << 8);
  if (tags > MAX_TAGS) return null;
  const values = offset + 8 + 8 * tags;
  let previous = 0;
  for (let i = 0; i < tags; i++) {
    const t = offset + 8 + 8 * i;
    if (t + 8 > end) break;
    const valueEnd = u32le(bytes, t + 4);
    if (valueEnd < previous) break;
    // "SNI\0"
    if (bytes[t] === 0x53 && bytes[t + 1] === 0x4e && bytes[t + 2] === 0x49 && bytes[t + 3] === 0) {
      if (values + valueEnd > end) break;
      return { sni: asciiName(bytes, values + previous, valueEnd - previous) };
    }
    previous = valueEnd;
  }
  return { sni: null };
}

function u32le(bytes: Uint8Array, p: number): number {
  return (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
}
