// Decodes NetBIOS names (RFC 1001 14.1 first-level encoding) from name-service and datagram
// packets, as Windows hosts announce themselves. Nothing here throws or reads out of range.

import { u32 } from "./bytes.ts";

/**
 * The NetBIOS name encoded in the 32-letter DNS label `label` (each byte as two letters
 * 'a'..'p' once lower-cased), trailing spaces and the 16th (type) byte dropped, lower-cased;
 * null when the label is not such an encoding or the name is not plain text.
 */
export function decodeNetbiosLabel(label: string): string | null {
  if (label.length !== 32) return null;
  let name = "";
  for (let i = 0; i < 30; i += 2) {
    const hi = label.charCodeAt(i) - 0x61;
    const lo = label.charCodeAt(i + 1) - 0x61;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return null;
    const c = (hi << 4) | lo;
    if (c < 0x20 || c >= 0x7f) return null;
    name += String.fromCharCode(c);
  }
  const trimmed = name.replace(/ +$/, "").toLowerCase();
  return trimmed.length > 0 && !trimmed.startsWith("*") ? trimmed : null;
}

/**
 * The source name of a NetBIOS datagram (UDP 138): type (1), flags (1), id (2), source address
 * (4) and port (2), length (2), offset (2), then the source name as a 0x20-length label.
 */
export function parseNetbiosDatagramName(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 14 + 34) return null;
  const type = bytes[offset];
  if (type < 0x10 || type > 0x12) return null; // direct unique, direct group, broadcast
  const p = offset + 14;
  if (bytes[p] !== 0x20) return null;
  return decodeNetbiosLabel(String.fromCharCode(...bytes.subarray(p + 1, p + 33)).toLowerCase());
}

/**
 * The source address of a NetBIOS datagram (UDP 138) header, bytes 4 to 7, as a 32-bit number:
 * the sender's own address, also when the datagram came through a NetBIOS relay. 0 when short.
 */
export function netbiosDatagramSource(bytes: Uint8Array, offset: number, length: number): number {
  if (Math.min(offset + length, bytes.length) - offset < 8) return 0;
  return u32(bytes, offset + 4);
}
