// Tests for the DNS reader: captured answers, CNAME chains, TCP framing and hostile names.

import assert from "node:assert/strict";
import { DnsType, parseDnsMessage, parseDnsTcp } from "./dns_message.ts";
import { hex } from "../../tests/helpers/tls_hello.ts";

// A response for www.mora.fr from pcapplusplus_DnsPackets.pcap:
// 89a8 8180 0001 0002 0000 0000          id, flags (response, RD, RA), 1 question, 2 answers
// 03 777777 04 6d6f7261 02 6672 00 0001 0001           www.mora.fr A IN
// c00c 0005 0001 00002a30 0002 c010                     www.mora.fr CNAME mora.fr, TTL 10800
// c010 0001 0001 00002a30 0004 51583959                 mora.fr A 81.88.57.89
const MORA = hex(`
89a88180000100020000000003777777046d6f72610266720000010001c00c00
05000100002a300002c010c0100001000100002a30000451583959`);

Deno.test("parseDnsMessage() reads a captured response with a CNAME chain", () => {
  const m = parseDnsMessage(MORA, 0, MORA.length);
  assert.ok(m);
  assert.equal(m.response, true);
  assert.equal(m.questionName, "www.mora.fr");
  assert.equal(m.questionType, DnsType.A);
  assert.deepEqual(m.answers, [
    { name: "www.mora.fr", type: DnsType.Cname, ttl: 10800, target: "mora.fr" },
    { name: "mora.fr", type: DnsType.A, ttl: 10800, address: [0x51583959] },
  ]);
  assert.equal(m.complete, true);
  assert.equal(m.firstAnswerName, "www.mora.fr");
});

Deno.test("parseDnsMessage() reads an mDNS response without a question", () => {
  // 0000 8400 0000 0001 0000 0000, then host.local A (cache-flush class 0x8001) 10.0.0.7
  const bytes = new Uint8Array([
    0,
    0,
    0x84,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    4,
    0x68,
    0x6f,
    0x73,
    0x74,
    5,
    0x6c,
    0x6f,
    0x63,
    0x61,
    0x6c,
    0,
    0,
    1,
    0x80,
    1,
    0,
    0,
    0,
    120,
    0,
    4,
    10,
    0,
    0,
    7,
  ]);
  const m = parseDnsMessage(bytes, 0, bytes.length);
  assert.equal(m?.questionName, "");
  assert.equal(m?.firstAnswerName, "host.local");
  assert.deepEqual(m?.answers[0].address, [0x0a000007]);
  bytes[2] = 0x04; // the same as a query: no question, not DNS
  assert.equal(parseDnsMessage(bytes, 0, bytes.length), null);
});

/** A query message for `labels`, with extra raw bytes as the answer section. */
function message(labels: number[], answers: number[] = [], ancount = 0, response = false) {
  return new Uint8Array([
    0x12,
    0x34,
    response ? 0x81 : 0x01,
    0x00,
    0,
    1,
    ancount >> 8,
    ancount & 0xff,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    1,
    0,
    1,
    ...answers,
  ]);
}
const name = (...parts: string[]) =>
  parts.flatMap((p) => [p.length, ...new TextEncoder().encode(p)]).concat([0]);

Deno.test("parseDnsMessage() reads a query and an AAAA answer with a TTL", () => {
  const aaaa = [0xc0, 12, 0, 28, 0, 1, 0, 0, 0x0e, 0x10, 0, 16];
  const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const m = parseDnsMessage(message(name("Example", "COM"), [...aaaa, ...addr], 1, true), 0, 100);
  assert.equal(m?.questionName, "example.com");
  assert.deepEqual(m?.answers[0], {
    name: "example.com",
    type: DnsType.Aaaa,
    ttl: 3600,
    address: [0x20010db8, 0, 0, 1],
  });
});

Deno.test("parseDnsMessage() rejects a pointer loop and a forward pointer", () => {
  // Question name is a pointer to itself (offset 12): a loop.
  assert.equal(parseDnsMessage(message([0xc0, 12]), 0, 18), null);
  // A pointer forward, to offset 20 (after the question).
  const forward = message([0xc0, 20], [3, 0x61, 0x62, 0x63, 0]);
  assert.equal(parseDnsMessage(forward, 0, forward.length), null);
  // Two labels pointing at each other: 12 -> "a" then pointer to 12.
  const twoStep = message([1, 0x61, 0xc0, 12]);
  assert.equal(parseDnsMessage(twoStep, 0, twoStep.length), null);
});

Deno.test("parseDnsMessage() rejects oversize labels, long names, bad bytes and reserved types", () => {
  const long = message([64, ...new Array(64).fill(0x61)]);
  assert.equal(parseDnsMessage(long, 0, long.length), null);
  // 5 labels of 63 bytes: 320 bytes on the wire, over 255.
  const labels: number[] = [];
  for (let i = 0; i < 5; i++) labels.push(63, ...new Array(63).fill(0x62));
  const tooLong = message(labels);
  assert.equal(parseDnsMessage(tooLong, 0, tooLong.length), null);
  const control = message([3, 0x61, 0x01, 0x62]);
  assert.equal(parseDnsMessage(control, 0, control.length), null);
  const dot = message([3, 0x61, 0x2e, 0x62]);
  assert.equal(parseDnsMessage(dot, 0, dot.length), null);
  const extended = message([0x41, 0]); // 0x40 label type (EDNS0 binary labels)
  assert.equal(parseDnsMessage(extended, 0, extended.length), null);
});

Deno.test("parseDnsMessage() keeps the answers before a truncated record", () => {
  const a = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1];
  const cut = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0]; // rdata cut short
  const bytes = message(name("a", "b"), [...a, ...cut], 2, true);
  const m = parseDnsMessage(bytes, 0, bytes.length);
  assert.equal(m?.answers.length, 1);
  assert.deepEqual(m?.answers[0].address, [0x0a000001]);
  assert.equal(m?.complete, false);
  // Cut inside the question: not a message at all.
  assert.equal(parseDnsMessage(bytes, 0, 15), null);
});

Deno.test("parseDnsMessage() never reads past length even when the buffer goes on", () => {
  const bytes = message(name("host", "lan"));
  const padded = new Uint8Array(bytes.length + 10);
  padded.set(bytes, 3);
  assert.equal(parseDnsMessage(padded, 3, bytes.length)?.questionName, "host.lan");
  assert.equal(parseDnsMessage(padded, 3, bytes.length - 1), null); // class cut off
});

Deno.test("parseDnsTcp() asks for the rest of a length-prefixed message", () => {
  const body = message(name("tcp", "example"));
  const framed = new Uint8Array([0, body.length, ...body]);
  assert.deepEqual(parseDnsTcp(framed, 0, 10), { needBytes: body.length + 2, message: null });
  assert.equal(parseDnsTcp(framed, 0, framed.length).message?.questionName, "tcp.example");
  assert.deepEqual(parseDnsTcp(new Uint8Array([0, 3, 1, 2, 3]), 0, 5), {
    needBytes: 0,
    message: null,
  });
});

Deno.test("parseDnsMessage() reads the root name as the empty string", () => {
  const root = message([0]);
  assert.equal(parseDnsMessage(root, 0, root.length)?.questionName, "");
});
