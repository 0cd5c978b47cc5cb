// Tests for QUIC Initial keys, decryption and CRYPTO frames: RFC vectors, versions, splits.

import assert from "node:assert/strict";
import { initialKeys, QuicVersion, versionRules } from "./quic_keys.ts";
import { longHeaderVersion, readQuicInitials } from "./quic_initial.ts";
import { findCleartextChlo, parseChlo } from "./gquic_chlo.ts";
import { parseClientHelloMessage } from "./tls_client_hello.ts";
import { buildClientHello, hex } from "../../tests/helpers/tls_hello.ts";
import { buildInitial, cryptoFrame } from "../../tests/helpers/quic_packet.ts";

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const DCID = hex("8394c8f03e515708"); // the connection ID of RFC 9001 Appendix A

Deno.test("initialKeys() gives RFC 9001 A.1's client keys for v1", () => {
  const rules = versionRules(QuicVersion.V1)!;
  const keys = initialKeys(rules.salts[0], rules.labelPrefix, DCID);
  assert.equal(toHex(keys.key), "1f369613dd76d5467730efcbe3b1a22d");
  assert.equal(toHex(keys.iv), "fa044b2f42a3fd3b46fb255c");
  assert.equal(toHex(keys.hp), "9f50449e04a0e810283a1e9933adedd2");
});

Deno.test("initialKeys() gives RFC 9369 A.1's client keys for v2", () => {
  const rules = versionRules(QuicVersion.V2)!;
  const keys = initialKeys(rules.salts[0], rules.labelPrefix, DCID);
  assert.equal(toHex(keys.key), "8b1a0bc121284290a29e0971b5cd045d");
  assert.equal(toHex(keys.iv), "91f73e2351d8fa91660e909f");
  assert.equal(toHex(keys.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
});

/** Reassembles chunks (by offset) into the stream's contiguous prefix. */
function assemble(chunks: { offset: number; data: Uint8Array }[]): Uint8Array {
  const out = new Uint8Array(8192);
  let filled = 0;
  for (const c of [...chunks].sort((a, b) => a.offset - b.offset)) {
    if (c.offset > filled) break;
    out.set(c.data, c.offset);
    filled = Math.max(filled, c.offset + c.data.length);
  }
  return out.subarray(0, filled);
}

for (
  const [label, version] of [["v1", 1], ["v2", QuicVersion.V2], ["draft-29", 0xff00001d], [
    "mvfst draft-22",
    QuicVersion.MvfstD22,
  ]] as const
) {
  Deno.test(`readQuicInitials() opens a ${label} Initial and reads its SNI`, () => {
    const hello = buildClientHello({ sni: `${label.replace(/ /g, "-")}.example`, alpn: ["h3"] });
    const datagram = buildInitial(version, DCID, cryptoFrame(0, hello));
    assert.equal(longHeaderVersion(datagram, 0, datagram.length), version);
    const r = readQuicInitials(datagram, 0, datagram.length);
    assert.ok(r);
    assert.equal(r.opened, 1);
    assert.equal(r.version, version);
    const stream = assemble(r.chunks);
    const parsed = parseClientHelloMessage(stream, 0, stream.length);
    assert.equal(parsed?.sni, `${label.replace(/ /g, "-")}.example`);
    assert.deepEqual(parsed?.alpn, ["h3"]);
  });
}

Deno.test("readQuicInitials() gathers a ClientHello split across frames and two packets", () => {
  const hello = buildClientHello({ sni: "split.quic.example", paddingBefore: 1500 });
  const a = hello.subarray(0, 700);
  const b = hello.subarray(700, 1100);
  const c = hello.subarray(1100);
  // Packet 1: frames out of order (b then a); packet 2: the rest, Chrome style.
  const first = buildInitial(
    1,
    DCID,
    new Uint8Array([...cryptoFrame(700, b), ...cryptoFrame(0, a)]),
  );
  const second = buildInitial(1, DCID, cryptoFrame(1100, c), { pn: 1 });
  const r1 = readQuicInitials(first, 0, first.length)!;
  const r2 = readQuicInitials(second, 0, second.length)!;
  const partial = assemble(r1.chunks);
  assert.equal(partial.length, 1100);
  assert.equal(parseClientHelloMessage(partial, 0, partial.length)?.sni ?? null, null);
  const whole = assemble([...r1.chunks, ...r2.chunks]);
  assert.equal(parseClientHelloMessage(whole, 0, whole.length)?.sni, "split.quic.example");
});

Deno.test("readQuicInitials() uses the first connection ID when a later Initial changed it", () => {
  const other = hex("0102030405060708");
  const hello = buildClientHello({ sni: "moved.example" });
  const p = buildInitial(1, other, cryptoFrame(0, hello), { keyDcid: DCID });
  assert.equal(readQuicInitials(p, 0, p.length), null);
  const r = readQuicInitials(p, 0, p.length, DCID);
  assert.equal(r?.opened, 1);
});

Deno.test("readQuicInitials() walks coalesced packets and rejects a damaged tag", () => {
  const hello = buildClientHello({ sni: "two.example" });
  const one = buildInitial(1, DCID, cryptoFrame(0, hello.subarray(0, 100)), { padTo: 600 });
  const two = buildInitial(1, DCID, cryptoFrame(100, hello.subarray(100)), { pn: 1, padTo: 600 });
  const datagram = new Uint8Array([...one, ...two]);
  const r = readQuicInitials(datagram, 0, datagram.length);
  assert.equal(r?.opened, 2);
  const stream = assemble(r!.chunks);
  assert.equal(parseClientHelloMessage(stream, 0, stream.length)?.sni, "two.example");
  datagram[one.length - 1] ^= 1; // tag of the first packet
  assert.equal(readQuicInitials(datagram, 0, datagram.length)?.opened, 1);
});

Deno.test("readQuicInitials() ignores short headers, unknown versions and small datagrams", () => {
  const hello = buildClientHello({ sni: "x.example" });
  const p = buildInitial(1, DCID, cryptoFrame(0, hello));
  assert.equal(readQuicInitials(p, 0, 900), null);
  const unknown = p.slice();
  unknown.set([0x12, 0x34, 0x56, 0x78], 1);
  assert.equal(readQuicInitials(unknown, 0, unknown.length), null);
  const short = p.slice();
  short[0] = 0x40;
  assert.equal(readQuicInitials(short, 0, short.length), null);
});

Deno.test("findCleartextChlo() and parseChlo() read a Q046 CHLO's SNI", () => {
  // c3 "Q046" 50 <8-byte CID> <4-byte PN> <12-byte hash> a0 01 <len> "CHLO" 02 00 00 00
  // "PAD\0" <end 4> "SNI\0" <end 4+15> "----" "www.example.com"
  const chlo = [
    ...new TextEncoder().encode("CHLO"),
    2,
    0,
    0,
    0,
    ...new TextEncoder().encode("PAD\0"),
    4,
    0,
    0,
    0,
    ...new TextEncoder().encode("SNI\0"),
    19,
    0,
    0,
    0,
    ...new TextEncoder().encode("----www.Example.com"),
  ];
  const packet = new Uint8Array(1350);
  packet.set([0xc3, 0x51, 0x30, 0x34, 0x36, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1]);
  packet.set([0xa0, 0x01, 0x00, chlo.length], 30);
  packet.set(chlo, 34);
  const region = findCleartextChlo(packet, 0, packet.length);
  assert.ok(region);
  assert.equal(parseChlo(packet, region.start, region.end - region.start)?.sni, "www.example.com");
  packet[5] = 0x55;
  assert.equal(findCleartextChlo(packet, 0, packet.length), null);
});
