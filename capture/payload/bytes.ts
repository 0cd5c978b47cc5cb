// Reading fixed-size fields out of payload bytes, for the payload parsers beside this file.
// Callers check the bounds: these read whatever the array holds (undefined reads as 0).

/** The 32-bit big-endian (network order) number at `bytes[p]`. */
export function u32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
}
