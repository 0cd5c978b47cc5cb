// Tests for the ClientHello parser: captured and built hellos, splits, cut-short and bad input.

import assert from "node:assert/strict";
import {
  parseClientHelloMessage,
  parseDtlsClientHello,
  parseTlsStream,
  TlsStatus,
} from "./tls_client_hello.ts";
import { buildClientHello, hex, toRecords } from "../../tests/helpers/tls_hello.ts";

// An Android Chrome ClientHello (TLS 1.2, SNI clients1.google.com), from nDPI's android.pcap:
// 16 03 01 00 a1            record: handshake, TLS 1.0, 161 bytes
// 01 00 00 9d 03 03 ...     ClientHello, 157 bytes, version 1.2, random
// ... 00 00 18 00 16 00 00 13 "clients1.google.com"   server_name extension
const ANDROID_HELLO = hex(`
16030100a10100009d0303111b0e5c1dd92c73d85e65fa7723ec40f43c7715f5
acfc448223d61f7629d16b00001cc02bc02ccca9c02fc030cca8c009c00ac013
c014009c009d002f003501000058ff01000100000000180016000013636c6965
6e7473312e676f6f676c652e636f6d00170000000d0014001204030804040105
0308050501080606010201000500050100000000000b00020100000a00080006
001d00170018`);

Deno.test("parseTlsStream() reads the SNI of a captured ClientHello", () => {
  const r = parseTlsStream(ANDROID_HELLO, 0, ANDROID_HELLO.length);
  assert.deepEqual(r.status, TlsStatus.Done);
  assert.deepEqual(r.hello?.sni, "clients1.google.com");
  assert.deepEqual(r.hello?.version, 0x0303);
  assert.deepEqual(r.hello?.complete, true);
});

Deno.test("parseTlsStream() honours offset and length inside a larger buffer", () => {
  const big = new Uint8Array(ANDROID_HELLO.length + 20).fill(0x16);
  big.set(ANDROID_HELLO, 7);
  const r = parseTlsStream(big, 7, ANDROID_HELLO.length);
  assert.deepEqual(r.hello?.sni, "clients1.google.com");
});

Deno.test("parseTlsStream() asks for the rest of a ClientHello cut short before the SNI", () => {
  const records = toRecords(buildClientHello({ sni: "www.example.org", paddingBefore: 1500 }));
  const first = 1200; // one TCP segment's worth
  const r = parseTlsStream(records, 0, first);
  assert.deepEqual(r.status, TlsStatus.NeedMore);
  assert.deepEqual(r.needBytes, records.length); // one record holds the whole message
  const all = parseTlsStream(records, 0, records.length);
  assert.deepEqual(all.hello?.sni, "www.example.org");
  assert.deepEqual(all.hello?.complete, true);
});

Deno.test("parseTlsStream() gives the SNI of a cut-short ClientHello when it is present", () => {
  // SNI first, a long ALPN list after it: the first 120 bytes hold the SNI.
  const message = buildClientHello({ sni: "early.example", alpn: new Array(200).fill("h2") });
  const stream = toRecords(message);
  const r = parseTlsStream(stream, 0, 120);
  assert.deepEqual(r.status, TlsStatus.Done);
  assert.deepEqual(r.hello?.sni, "early.example");
  assert.deepEqual(r.hello?.complete, false);
});

Deno.test("parseTlsStream() joins a ClientHello split across several records", () => {
  const message = buildClientHello({
    sni: "split.example.net",
    alpn: ["h2", "http/1.1"],
    tls13: true,
    paddingBefore: 300,
  });
  const stream = toRecords(message, 50); // 50-byte record bodies
  const r = parseTlsStream(stream, 0, stream.length);
  assert.deepEqual(r.status, TlsStatus.Done);
  assert.deepEqual(r.hello?.sni, "split.example.net");
  assert.deepEqual(r.hello?.alpn, ["h2", "http/1.1"]);
  assert.deepEqual(r.hello?.version, 0x0304);
  // Cut inside the third record (before the SNI): asks for that record's end.
  const cut = parseTlsStream(stream, 0, 2 * 55 + 10);
  assert.deepEqual(cut.status, TlsStatus.NeedMore);
  assert.deepEqual(cut.needBytes, 3 * 55);
});

Deno.test("parseTlsStream() says NotTls for other protocols and asks for more on a bare start", () => {
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.deepEqual(parseTlsStream(http, 0, http.length).status, TlsStatus.NotTls);
  assert.deepEqual(parseTlsStream(hex("1603"), 0, 2).status, TlsStatus.NeedMore);
  assert.deepEqual(parseTlsStream(hex("1703"), 0, 2).status, TlsStatus.NotTls);
  // A handshake record holding a ServerHello (type 2) is not a ClientHello.
  const serverHello = hex("160303002a020000260303" + "00".repeat(38));
  assert.deepEqual(parseTlsStream(serverHello, 0, serverHello.length).status, TlsStatus.NotTls);
  assert.deepEqual(parseTlsStream(new Uint8Array(0), 0, 0).status, TlsStatus.NeedMore);
});

Deno.test("parseTlsStream() rejects a ClientHello with a non-text SNI", () => {
  const bad = toRecords(buildClientHello({ sni: "bad\u0001name" }));
  const r = parseTlsStream(bad, 0, bad.length);
  assert.deepEqual(r.status, TlsStatus.Done);
  assert.deepEqual(r.hello?.sni, null);
});

Deno.test("parseTlsStream() lower-cases the SNI", () => {
  const s = toRecords(buildClientHello({ sni: "WWW.Example.COM" }));
  assert.deepEqual(parseTlsStream(s, 0, s.length).hello?.sni, "www.example.com");
});

Deno.test("parseClientHelloMessage() reads a bare handshake message (as QUIC carries it)", () => {
  const m = buildClientHello({ sni: "quic.example", alpn: ["h3"] });
  const hello = parseClientHelloMessage(m, 0, m.length);
  assert.deepEqual(hello?.sni, "quic.example");
  assert.deepEqual(hello?.alpn, ["h3"]);
  assert.deepEqual(parseClientHelloMessage(m, 1, m.length - 1), null);
});

Deno.test("parseDtlsClientHello() reads the SNI of a DTLS 1.2 ClientHello", () => {
  const m = buildClientHello({ sni: "turn.example", dtls: true });
  const body = m.subarray(4);
  // Record header (13) + handshake header (12: type, length, seq, fragment offset/length).
  const n = body.length;
  const hs = [
    1,
    n >> 16,
    (n >> 8) & 0xff,
    n & 0xff,
    0,
    0,
    0,
    0,
    0,
    n >> 16,
    (n >> 8) & 0xff,
    n & 0xff,
  ];
  const recLen = hs.length + n;
  const datagram = new Uint8Array([
    22,
    0xfe,
    0xfd,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    recLen >> 8,
    recLen & 0xff,
    ...hs,
    ...body,
  ]);
  const hello = parseDtlsClientHello(datagram, 0, datagram.length);
  assert.deepEqual(hello?.sni, "turn.example");
  assert.deepEqual(hello?.dtls, true);
  datagram[13] = 2; // not a ClientHello
  assert.deepEqual(parseDtlsClientHello(datagram, 0, datagram.length), null);
});
