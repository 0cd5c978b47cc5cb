// Names servers give themselves in their first words: a mail server's greeting ("220
// mx.example.com ESMTP"), a Munin node's ("# munin node at host.example") and a STUN/TURN
// server's realm ("telegram.org"). nDPI takes these as a flow's name when the client sent none;
// so does Netwatch, for the flow only (FlowInspector).
// Nothing here throws or reads outside the given range.

import { isStun } from "./app_protocol.ts";
import { startsWithText, u16 } from "./bytes.ts";
import { asciiName } from "./name_text.ts";

const STUN_HEADER = 20;
const ATTR_REALM = 0x0014;
/** Longest greeting line looked at. */
const MAX_LINE = 512;

/**
 * The REALM attribute of one STUN message (RFC 8489), lower-cased, or null when the bytes are not
 * a STUN message with a plain realm. The attributes must fill the message's length exactly.
 */
export function parseStunRealm(bytes: Uint8Array, offset: number, length: number): string | null {
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || !isStun(bytes, offset, end)) return null;
  for (let p = offset + STUN_HEADER; p + 4 <= end;) {
    const type = u16(bytes, p);
    const len = u16(bytes, p + 2);
    if (p + 4 + len > end) return null;
    if (type === ATTR_REALM) {
      // A realm is a quoted string in the RFC's grammar; servers send it bare or quoted.
      let start = p + 4;
      let n = len;
      if (n >= 2 && bytes[start] === 0x22 && bytes[start + n - 1] === 0x22) {
        start++;
        n -= 2;
      }
      return asciiName(bytes, start, n); // null past MAX_NAME_LENGTH, as any name
    }
    p += 4 + ((len + 3) & ~3);
  }
  return null;
}

/**
 * The host name a mail server's greeting gives ("220 mx.example.com ESMTP ready", also the first
 * line of a multi-line "220-" greeting), lower-cased; null when the bytes start with something
 * else, or the word after the code is not a host name ("220 2.0.0 Ready to start TLS" is not).
 */
export function parseSmtpGreeting(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length, offset + MAX_LINE);
  if (offset < 0 || end - offset < 6) return null;
  if (
    !startsWithText(bytes, offset, end, "220 ") && !startsWithText(bytes, offset, end, "220-")
  ) return null;
  const start = offset + 4;
  let e = start;
  let letters = 0;
  for (; e < end; e++) {
    const c = bytes[e] | 0x20; // lower case for letters
    if (c >= 0x61 && c <= 0x7a) letters++;
    else if (!((bytes[e] >= 0x30 && bytes[e] <= 0x39) || bytes[e] === 0x2e || bytes[e] === 0x2d)) {
      break;
    }
  }
  // The name must end the word (a space follows, as nDPI asks: more text after it) and hold a
  // letter: a bare number or an address literal names nothing.
  if (e === start || e >= end || bytes[e] !== 0x20 || letters === 0) return null;
  return asciiName(bytes, start, e - start);
}

const MUNIN_PREFIX = "# munin node at ";

/** The host name a Munin node's greeting gives ("# munin node at host.example\n"). */
export function parseMuninGreeting(
  bytes: Uint8Array,
  offset: number,
  length: number,
): string | null {
  const end = Math.min(offset + length, bytes.length, offset + MAX_LINE);
  const start = offset + MUNIN_PREFIX.length;
  if (offset < 0 || end - start < 2 || bytes[end - 1] !== 0x0a) return null;
  if (!startsWithText(bytes, offset, end, MUNIN_PREFIX)) return null;
  const stop = bytes[end - 2] === 0x0d ? end - 2 : end - 1;
  return asciiName(bytes, start, stop - start);
}
