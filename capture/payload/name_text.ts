// Turns name bytes found in payloads (SNI, Host, DNS labels) into checked, lower-case text.

/** Longest name kept, in characters (a DNS name is at most 253; a Host may carry a port). */
export const MAX_NAME_LENGTH = 260;

/**
 * The printable-ASCII text of `bytes[offset, offset + length)`, lower-cased, or null when it is
 * empty, too long, or holds a control character, a space or a byte above 0x7e: such names are
 * either binary junk or an evasion attempt, and a name shown to a user must be plain.
 */
export function asciiName(bytes: Uint8Array, offset: number, length: number): string | null {
  if (length <= 0 || length > MAX_NAME_LENGTH || offset < 0 || offset + length > bytes.length) {
    return null;
  }
  let text = "";
  for (let i = offset; i < offset + length; i++) {
    let c = bytes[i];
    if (c <= 0x20 || c >= 0x7f) return null;
    if (c >= 0x41 && c <= 0x5a) c += 0x20; // A-Z -> a-z
    text += String.fromCharCode(c);
  }
  return text;
}
