// Parses address text into the 32-bit words flows store (IPv4 in word 0, IPv6 in four words).

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";

/** Words of "10.0.0.1" or "2001:db8::1" (also "::ffff:1.2.3.4"), or undefined if invalid. */
export function addressWordsOf(text: string): { v6: boolean; words: number[] } | undefined {
  if (!text.includes(":")) {
    const v4 = ipv4Number(text);
    return v4 === undefined ? undefined : { v6: false, words: [v4, 0, 0, 0] };
  }
  let address = text.toLowerCase();
  const lastColon = address.lastIndexOf(":");
  const tail = address.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 address stands for the last two groups.
    const v4 = ipv4Number(tail);
    if (v4 === undefined) return undefined;
    address = `${address.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${
      (v4 & 0xffff).toString(16)
    }`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  const left = split(halves[0]);
  const right = halves.length === 2 ? split(halves[1]) : [];
  const zeros = 8 - left.length - right.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return undefined;
  const groups = [...left, ...Array(zeros).fill("0"), ...right];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const g = groups.map((x) => parseInt(x, 16));
  const words = [0, 1, 2, 3].map((w) => ((g[2 * w] << 16) | g[2 * w + 1]) >>> 0);
  return { v6: true, words };
}

function ipv4Number(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** The usual spelling of an address (RFC 5952 for IPv6: lower case, "::" for zeros), or undefined. */
export function canonicalAddress(text: string): string | undefined {
  const parsed = addressWordsOf(text);
  if (!parsed) return undefined;
  const [a, b, c, d] = parsed.words;
  return parsed.v6 ? formatIpv6(a, b, c, d) : formatIpv4(a);
}
