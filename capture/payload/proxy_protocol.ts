// Measures a HAProxy PROXY protocol header (v1 text or v2 binary) at the start of a TCP stream,
// which load balancers put before the client's own first bytes (a ClientHello, a request).

import { u16 } from "./bytes.ts";

/** v2 signature: \r\n\r\n\0\r\nQUIT\n. */
const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** v1 signature: "PROXY ". */
const V1_SIGNATURE = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20];
/** A v1 header is at most 107 bytes, CRLF included. */
const V1_MAX = 107;

/**
 * Bytes taken by the PROXY header at `bytes[offset]` (within `length`), 0 when there is none
 * (or it is cut short).
 */
export function proxyHeaderLength(bytes: Uint8Array, offset: number, length: number): number {
  const end = Math.min(offset + length, bytes.length);
  // Called on the first bytes of every TCP stream: compares bytes, allocates nothing.
  if (end - offset >= 16 && startsWith(bytes, offset, V2_SIGNATURE)) {
    if ((bytes[offset + 12] & 0xf0) !== 0x20) return 0; // version 2
    const size = 16 + u16(bytes, offset + 14);
    return offset + size <= end ? size : 0;
  }
  // "PROXY " then addresses and ports, ended by CRLF.
  if (end - offset < 8 || !startsWith(bytes, offset, V1_SIGNATURE)) {
    return 0;
  }
  for (let i = offset + 6; i + 1 < end && i - offset < V1_MAX; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i + 2 - offset;
  }
  return 0;
}

/** True when `bytes` at `offset` start with `signature` (the caller checked the length). */
function startsWith(bytes: Uint8Array, offset: number, signature: readonly number[]): boolean {
  for (let i = 0; i < signature.length; i++) if (bytes[offset + i] !== signature[i]) return false;
  return true;
}
