// Reads the client's host name (option 12), message type (option 53) and address (ciaddr or
// option 50) from a DHCP message.
// Nothing here throws or reads outside the given range.

import { asciiName } from "./name_text.ts";
import { u32 } from "./bytes.ts";

/** What parseDhcp() found. */
export interface DhcpInfo {
  /** 1 BOOTREQUEST (from a client), 2 BOOTREPLY. */
  op: number;
  /** Option 53 (1 DISCOVER, 3 REQUEST, 5 ACK, ...), 0 when absent. */
  messageType: number;
  /** Option 12, lower-cased; null when absent or not plain text. */
  hostname: string | null;
  /**
   * The address a client message is about, as a 32-bit number: ciaddr when set (a renewal, an
   * INFORM), else the requested address (option 50); 0 when neither.
   */
  clientAddress: number;
}

const COOKIE_AT = 236;
const MAX_OPTIONS = 128;

/** Parses a DHCP (BOOTP with the magic cookie) message; null when it is not one. */
export function parseDhcp(bytes: Uint8Array, offset: number, length: number): DhcpInfo | null {
  const end = Math.min(offset + length, bytes.length);
  // op (1), htype (1), hlen (1), ..., magic cookie 63 82 53 63 at 236.
  if (end - offset < COOKIE_AT + 4 || (bytes[offset] !== 1 && bytes[offset] !== 2)) return null;
  const c = offset + COOKIE_AT;
  if (
    bytes[c] !== 0x63 || bytes[c + 1] !== 0x82 || bytes[c + 2] !== 0x53 || bytes[c + 3] !== 0x63
  ) {
    return null;
  }
  // ciaddr: the client's own address, at 12.
  const ciaddr = u32(bytes, offset + 12);
  const info: DhcpInfo = { op: bytes[offset], messageType: 0, hostname: null, clientAddress: 0 };
  let requested = 0;
  let p = c + 4;
  for (let n = 0; n < MAX_OPTIONS && p < end; n++) {
    const code = bytes[p];
    if (code === 0) { // pad
      p++;
      continue;
    }
    if (code === 255 || p + 1 >= end) break; // end
    const size = bytes[p + 1];
    if (p + 2 + size > end) break;
    if (code === 12) info.hostname = asciiName(bytes, p + 2, size);
    else if (code === 53 && size === 1) info.messageType = bytes[p + 2];
    else if (code === 50 && size === 4) requested = u32(bytes, p + 2);
    p += 2 + size;
  }
  if (info.op === 1) info.clientAddress = ciaddr || requested;
  return info;
}
