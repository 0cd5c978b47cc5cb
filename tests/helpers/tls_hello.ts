// Builds TLS ClientHello messages and records for parser tests (names, ALPN, padding, order).

/** What buildClientHello() puts in the message. */
export interface HelloOptions {
  sni?: string;
  alpn?: string[];
  /** Bytes of a filler extension (type 0xff01 renegotiation_info misused as padding) before SNI. */
  paddingBefore?: number;
  /** Offer TLS 1.3 through supported_versions. */
  tls13?: boolean;
  /** DTLS body layout (with an empty cookie, version 0xfefd). */
  dtls?: boolean;
}

/** A ClientHello handshake message: type 1, 24-bit length, body. */
export function buildClientHello(options: HelloOptions = {}): Uint8Array {
  const body: number[] = [];
  body.push(...(options.dtls ? [0xfe, 0xfd] : [0x03, 0x03])); // legacy_version
  for (let i = 0; i < 32; i++) body.push(i); // random
  body.push(0); // session id
  if (options.dtls) body.push(0); // cookie
  body.push(0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f); // two cipher suites
  body.push(0x01, 0x00); // compression: null
  const extensions: number[] = [];
  const ext = (type: number, data: number[]) =>
    extensions.push(type >> 8, type & 0xff, data.length >> 8, data.length & 0xff, ...data);
  if (options.paddingBefore) ext(0x0015, new Array(options.paddingBefore).fill(0));
  if (options.sni !== undefined) {
    const name = [...new TextEncoder().encode(options.sni)];
    const entry = [0, name.length >> 8, name.length & 0xff, ...name];
    ext(0x0000, [entry.length >> 8, entry.length & 0xff, ...entry]);
  }
  if (options.alpn) {
    const list: number[] = [];
    for (const p of options.alpn) list.push(p.length, ...new TextEncoder().encode(p));
    ext(0x0010, [list.length >> 8, list.length & 0xff, ...list]);
  }
  if (options.tls13) ext(0x002b, [4, 0x0a, 0x0a, 0x03, 0x04]); // GREASE, TLS 1.3
  body.push(extensions.length >> 8, extensions.length & 0xff, ...extensions);
  return new Uint8Array([
    1,
    body.length >> 16,
    (body.length >> 8) & 0xff,
    body.length & 0xff,
    ...body,
  ]);
}

/** Wraps handshake bytes in TLS records of at most `maxFragment` body bytes each. */
export function toRecords(message: Uint8Array, maxFragment = 16384): Uint8Array {
  const out: number[] = [];
  for (let at = 0; at < message.length; at += maxFragment) {
    const part = message.subarray(at, Math.min(at + maxFragment, message.length));
    out.push(22, 3, 1, part.length >> 8, part.length & 0xff, ...part);
  }
  return new Uint8Array(out);
}

/** Parses a hex dump ("16 03 01 ..." or "160301..."), ignoring whitespace. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
