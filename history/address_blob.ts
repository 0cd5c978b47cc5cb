// Addresses as compact blobs (4 bytes IPv4, 16 bytes IPv6) and CIDR prefixes as blob ranges.
//
// Blobs take 4-16 bytes where text takes 7-39, and SQLite compares blobs of one length byte by
// byte, so a prefix is a BETWEEN range on the blob plus a length test.

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { addressWordsOf } from "../flows/address_parse.ts";
import { parsePrefix } from "../flows/query_filter.ts";

/** The 4 bytes of a dotted quad, or undefined; the common case, without splitting strings. */
function ipv4Blob(text: string): Uint8Array | undefined {
  const blob = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else if (c === 46 && digits > 0 && part < 3) {
      blob[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (part !== 3 || digits === 0) return undefined;
  blob[3] = value;
  return blob;
}

/** The blob of an address's text, or undefined when it is not an address. */
export function addressBlob(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return ipv4Blob(text);
  const parsed = addressWordsOf(text);
  if (!parsed) return undefined;
  const blob = new Uint8Array(parsed.v6 ? 16 : 4);
  const view = new DataView(blob.buffer);
  for (let w = 0; w < blob.length / 4; w++) view.setUint32(w * 4, parsed.words[w]);
  return blob;
}

/** The text of an address blob (RFC 5952 for IPv6); "?" for a blob of another length. */
export function blobAddress(blob: Uint8Array): string {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length === 4) return formatIpv4(view.getUint32(0));
  if (blob.length !== 16) return "?";
  return formatIpv6(view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12));
}

/** Lowest and highest blob of an address or CIDR; throws TypeError on anything else. */
export function prefixRange(text: string): { low: Uint8Array; high: Uint8Array } {
  const prefix = parsePrefix(text);
  const length = prefix.v6 ? 16 : 4;
  const low = new Uint8Array(length);
  const high = new Uint8Array(length);
  const lowView = new DataView(low.buffer);
  const highView = new DataView(high.buffer);
  for (let w = 0; w < length / 4; w++) {
    lowView.setUint32(w * 4, prefix.net[w]);
    highView.setUint32(w * 4, (prefix.net[w] | ~prefix.mask[w]) >>> 0);
  }
  return { low, high };
}

/** The key of a host row: its address blob, and the empty blob for "other". */
export function hostKey(address: string): Uint8Array | undefined {
  return address === "other" ? new Uint8Array(0) : addressBlob(address);
}

/** The address text of a host key. */
export function hostAddress(key: Uint8Array): string {
  return key.length === 0 ? "other" : blobAddress(key);
}
