// One text per IP address, so that tools that print addresses differently can be compared.

/**
 * Expanded lowercase text of an IPv6 address (eight 4-digit groups, an embedded IPv4 tail
 * turned into two groups); IPv4 and anything without a colon unchanged. Throws SyntaxError
 * when the text is not eight groups once "::" is expanded.
 */
export function canonicalIp(text: string): string {
  if (!text.includes(":")) return text;
  let address = text.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    address = address.slice(0, dotted.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) throw new SyntaxError(`Cannot parse IPv6 address "${text}"`);
  return groups.map((g) => g.padStart(4, "0")).join(":");
}
