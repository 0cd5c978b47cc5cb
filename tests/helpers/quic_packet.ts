// Builds protected QUIC client Initial packets (RFC 9001 5) for parser tests.

import { createCipheriv } from "node:crypto";
import { headerMask, initialKeys, versionRules } from "../../capture/payload/quic_keys.ts";

/** A CRYPTO frame (type 0x06, or 0x08 for Google's T05x/Q050) carrying `data` at `offset`. */
export function cryptoFrame(offset: number, data: Uint8Array, type = 0x06): Uint8Array {
  return new Uint8Array([type, ...varint(offset), ...varint(data.length), ...data]);
}

/** QUIC variable-length integer encoding (2-byte or 4-byte form for larger values). */
export function varint(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/**
 * A protected client Initial of `version` to `dcid` holding `frames`, padded with PADDING
 * frames to `padTo` bytes, with a 2-byte packet number `pn`.
 */
export function buildInitial(
  version: number,
  dcid: Uint8Array,
  frames: Uint8Array,
  options: { pn?: number; padTo?: number; keyDcid?: Uint8Array } = {},
): Uint8Array {
  const rules = versionRules(version)!;
  const keys = initialKeys(rules.salts[0], rules.labelPrefix, options.keyDcid ?? dcid);
  const pn = options.pn ?? 0;
  const scid = [1, 2, 3, 4];
  const headerStart = [
    0xc0 | (rules.initialType << 4) | 0x01, // long header, fixed bit, Initial, 2-byte PN
    version >>> 24,
    (version >> 16) & 0xff,
    (version >> 8) & 0xff,
    version & 0xff,
    dcid.length,
    ...dcid,
    scid.length,
    ...scid,
    0, // token length
  ];
  const padTo = options.padTo ?? 1200;
  const overhead = headerStart.length + 2 + 2 + 16; // length field, PN, tag
  const plain = new Uint8Array(Math.max(frames.length, padTo - overhead));
  plain.set(frames);
  const length = 2 + plain.length + 16;
  const header = new Uint8Array([
    ...headerStart,
    0x40 | (length >> 8),
    length & 0xff,
    pn >> 8,
    pn & 0xff,
  ]);
  const nonce = keys.iv.slice();
  nonce[10] ^= pn >> 8;
  nonce[11] ^= pn & 0xff;
  const cipher = createCipheriv("aes-128-gcm", keys.key, nonce);
  cipher.setAAD(header);
  const body = new Uint8Array([...cipher.update(plain), ...cipher.final(), ...cipher.getAuthTag()]);
  const packet = new Uint8Array([...header, ...body]);
  // Header protection: sample 4 bytes after the packet number's start.
  const pnOffset = header.length - 2;
  const mask = headerMask(keys.hp, packet.subarray(pnOffset + 4, pnOffset + 20));
  packet[0] ^= mask[0] & 0x0f;
  packet[pnOffset] ^= mask[1];
  packet[pnOffset + 1] ^= mask[2];
  return packet;
}
