// Reads the gateway domain of an MGCP command's endpoint ("RQNT 12 aaln/1@gw.example MGCP 1.0").
// Nothing here throws or reads outside the given range.

import { asciiName } from "./name_text.ts";

const VERBS = ["EPCF", "CRCX", "MDCX", "DLCX", "RQNT", "NTFY", "AUEP", "AUCX", "RSIP"];

/**
 * The domain after '@' in the endpoint of an MGCP command line (RFC 3435 3.2.1), lower-cased;
 * null when the bytes are not an MGCP command.
 */
export function parseMgcpEndpoint(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length, offset + 512);
  // Every verb is four capital letters and a space: anything else is rejected before any text
  // is made (this runs on the first datagrams of every UDP flow of unknown protocol).
  if (end - offset < 5 || bytes[offset + 4] !== 0x20) return null;
  for (let i = 0; i < 4; i++) if (bytes[offset + i] < 0x41 || bytes[offset + i] > 0x5a) return null;
  let e = offset;
  while (e < end && bytes[e] !== 0x0a && bytes[e] !== 0x0d) e++;
  const line = String.fromCharCode(...bytes.subarray(offset, e));
  const parts = line.split(" ");
  if (parts.length < 5 || !VERBS.includes(parts[0]) || parts[3] !== "MGCP") return null;
  if (!/^\d{1,9}$/.test(parts[1])) return null;
  const at = parts[2].lastIndexOf("@");
  if (at < 0) return null;
  const domain = new TextEncoder().encode(parts[2].slice(at + 1));
  return asciiName(domain, 0, domain.length);
}
