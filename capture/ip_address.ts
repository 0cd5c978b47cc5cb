// Text forms of the addresses a PacketBatch holds as 32-bit words (RFC 5952 for IPv6).

/** Dotted quad of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** RFC 5952 text of an IPv6 address held as four 32-bit words, most significant first. */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const groups = [
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 & 0xffff,
  ];
  // IPv4-mapped addresses read better with the IPv4 part dotted.
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatIpv4(w3 >>> 0)}`;
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** Formats `version` 4 or 6 address number `i` of a word array (four words per address). */
export function formatAddress(version: 4 | 6, words: Uint32Array, i: number): string {
  const base = i << 2;
  return version === 4
    ? formatIpv4(words[base])
    : formatIpv6(words[base], words[base + 1], words[base + 2], words[base + 3]);
}

/** Formats a sockaddr's address bytes (4 for IPv4, 16 for IPv6). */
export function formatAddressBytes(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length === 4) return formatIpv4(view.getUint32(0));
  return formatIpv6(view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12));
}
