// Reading fixed-size fields and fixed text out of payload bytes, for the payload parsers beside
// this file. Callers check the bounds of u16(), u24() and u32(): they read whatever the array
// holds (undefined reads as 0).

/** The 16-bit big-endian (network order) number at `bytes[p]`. */
export function u16(bytes: Uint8Array, p: number): number {
  return (bytes[p] << 8) | bytes[p + 1];
}

/** The 24-bit big-endian number at `bytes[p]` (TLS handshake lengths). */
export function u24(bytes: Uint8Array, p: number): number {
  return (bytes[p] << 16) | (bytes[p + 1] << 8) | bytes[p + 2];
}

/** The 32-bit big-endian (network order) number at `bytes[p]`. */
export function u32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
}

/** True when `bytes[p, end)` starts with the ASCII text `s` (false when fewer bytes remain). */
export function startsWithText(bytes: Uint8Array, p: number, end: number, s: string): boolean {
  if (end - p < s.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[p + i] !== s.charCodeAt(i)) return false;
  return true;
}
