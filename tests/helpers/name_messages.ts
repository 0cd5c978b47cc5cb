// Builders of the small messages that carry a name in their first words: a STUN message with a
// REALM, an Agora SD-RTN datagram, a collectd datagram and a Xiaomi push client's first message.
// Laid out as each protocol's documentation (RFC 8489, collectd's binary protocol) or nDPI's
// dissector describes them.

const encoder = new TextEncoder();

/** A STUN message of `type` (0x0113: Allocate error response) with a REALM and a NONCE. */
export function stunWithRealm(realm: string, type = 0x0113): Uint8Array {
  const attrs: number[] = [];
  const attr = (t: number, value: Uint8Array) => {
    attrs.push(t >> 8, t & 255, value.length >> 8, value.length & 255, ...value);
    while (attrs.length % 4) attrs.push(0);
  };
  attr(0x0009, new Uint8Array([0, 0, 4, 1])); // ERROR-CODE 401
  attr(0x0015, encoder.encode("nonce-1234")); // NONCE
  attr(0x0014, encoder.encode(realm)); // REALM
  const m = new Uint8Array(20 + attrs.length);
  const v = new DataView(m.buffer);
  v.setUint16(0, type);
  v.setUint16(2, attrs.length);
  v.setUint32(4, 0x2112a442);
  m.fill(7, 8, 20); // transaction id
  m.set(attrs, 20);
  return m;
}

/** An Agora SD-RTN datagram naming its edge server. */
export function sdRtn(name: string): Uint8Array {
  const n = encoder.encode(name);
  const m = new Uint8Array(19 + n.length + 6);
  m[6] = 0x21;
  m.set([0x04, 0x53, 0x4e, 0x49], 12); // "\x04SNI"
  new DataView(m.buffer).setUint16(16, n.length);
  m.set(n, 19);
  return m;
}

/** A collectd datagram: a HOST part (at `hostAt` among four parts), TIME, PLUGIN, TYPE. */
export function collectd(host: string, hostAt = 0): Uint8Array {
  const part = (type: number, value: Uint8Array) => {
    const p = new Uint8Array(4 + value.length);
    new DataView(p.buffer).setUint16(0, type);
    new DataView(p.buffer).setUint16(2, p.length);
    p.set(value, 4);
    return p;
  };
  const text = (s: string) => encoder.encode(s + "\0");
  const parts = [part(0x0001, new Uint8Array(8)), part(0x0002, text("cpu")), part(4, text("load"))];
  parts.splice(hostAt, 0, part(0x0000, text(host)));
  const m = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    m.set(p, at);
    at += p.length;
  }
  return m;
}

/** A Xiaomi push client's first message: user agent (TLV 0x12) and server domain (0x3a). */
export function xiaomi(domain: string, agent = "Redmi Note 8T"): Uint8Array {
  const tlv = (t: number, s: string) => [t, s.length, ...encoder.encode(s)];
  const body = [
    0,
    0,
    0,
    0,
    0x08,
    0x28,
    ...tlv(0x12, agent),
    ...tlv(0x3a, domain),
    0x42,
    2,
    0x65,
    0x6e,
  ];
  const m = new Uint8Array(12 + body.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, 0xc2fe0005);
  v.setUint32(4, body.length);
  v.setUint32(8, 0x00020016);
  m.set(body, 12);
  return m;
}
