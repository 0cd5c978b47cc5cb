// Fuzzes the payload parsers with mutated ClientHellos, QUIC Initials, DNS messages and more:
// nothing may throw, and nothing may read outside [offset, offset + length), checked by
// running each input twice, surrounded once by 0x00 and once by 0xff, and comparing results.
// NETWATCH_FUZZ_ITERATIONS and NETWATCH_FUZZ_SEED ("random" or a number) repeat a run.

import assert from "node:assert/strict";
import { mulberry32 } from "../../tests/helpers/random.ts";
import { buildClientHello, toRecords } from "../../tests/helpers/tls_hello.ts";
import { buildInitial, cryptoFrame } from "../../tests/helpers/quic_packet.ts";
import {
  parseClientHelloMessage,
  parseDtlsClientHello,
  parseTlsStream,
} from "./tls_client_hello.ts";
import { readQuicInitials } from "./quic_initial.ts";
import { findCleartextChlo, parseChlo } from "./gquic_chlo.ts";
import { parseDnsMessage, parseDnsTcp } from "./dns_message.ts";
import { parseHttpRequest } from "./http_request.ts";
import { detectProtocol } from "./app_protocol.ts";
import { parseDhcp } from "./dhcp_options.ts";
import { parseNetbiosDatagramName } from "./netbios_name.ts";
import { parseMgcpEndpoint } from "./mgcp_endpoint.ts";
import { proxyHeaderLength } from "./proxy_protocol.ts";
import { parseMuninGreeting, parseSmtpGreeting, parseStunRealm } from "./server_greeting.ts";
import {
  parseCollectdHost,
  parseSdRtnName,
  parseWhoisQuery,
  parseXiaomiDomain,
} from "./client_names.ts";
import { collectd, sdRtn, stunWithRealm, xiaomi } from "../../tests/helpers/name_messages.ts";
import { FlowInspector } from "../../flows/identity/flow_inspector.ts";

const ITERATIONS = Number(Deno.env.get("NETWATCH_FUZZ_ITERATIONS") ?? 1500);
const SEED_TEXT = Deno.env.get("NETWATCH_FUZZ_SEED") ?? "14";
const SEED = SEED_TEXT === "random" ? (Math.random() * 2 ** 32) >>> 0 : Number(SEED_TEXT);

type Parser = (bytes: Uint8Array, offset: number, length: number) => unknown;

const PARSERS: Record<string, Parser> = {
  tlsStream: parseTlsStream,
  helloMessage: parseClientHelloMessage,
  dtls: parseDtlsClientHello,
  quic: (b, o, l) => readQuicInitials(b, o, l, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
  gquic: (b, o, l) => {
    const r = findCleartextChlo(b, o, l);
    return r && { r, chlo: parseChlo(b, r.start, r.end - r.start) };
  },
  chlo: parseChlo,
  dns: parseDnsMessage,
  dnsTcp: parseDnsTcp,
  http: parseHttpRequest,
  tcpProtocol: (b, o, l) => detectProtocol(6, b, o, l, 1000, 2000),
  udpProtocol: (b, o, l) => detectProtocol(17, b, o, l, 5353, 5353),
  dhcp: parseDhcp,
  netbios: parseNetbiosDatagramName,
  mgcp: parseMgcpEndpoint,
  proxy: proxyHeaderLength,
  smtpGreeting: parseSmtpGreeting,
  muninGreeting: parseMuninGreeting,
  stunRealm: parseStunRealm,
  sdRtn: parseSdRtnName,
  collectd: parseCollectdHost,
  xiaomi: parseXiaomiDomain,
  whois: parseWhoisQuery,
};

/** Seeds: well-formed messages of each kind, which mutations then damage. */
function seeds(): Uint8Array[] {
  const hello = buildClientHello({
    sni: "fuzz.example.com",
    alpn: ["h2", "http/1.1"],
    tls13: true,
  });
  const dcid = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const quicHello = buildClientHello({ sni: "quic.fuzz.example", alpn: ["h3"] });
  const text = (s: string) => new TextEncoder().encode(s);
  const dns = new Uint8Array([
    0x12,
    0x34,
    0x81,
    0x80,
    0,
    1,
    0,
    2,
    0,
    0,
    0,
    0,
    3,
    0x77,
    0x77,
    0x77,
    1,
    0x61,
    0,
    0,
    1,
    0,
    1,
    0xc0,
    12,
    0,
    5,
    0,
    1,
    0,
    0,
    0,
    60,
    0,
    4,
    1,
    0x62,
    0xc0,
    16,
    0xc0,
    35,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    60,
    0,
    4,
    10,
    0,
    0,
    1,
  ]);
  const chlo = [...text("CHLO"), 1, 0, 0, 0, ...text("SNI\0"), 9, 0, 0, 0, ...text("a.example")];
  const q046 = new Uint8Array(1300);
  q046.set([0xc3, 0x51, 0x30, 0x34, 0x36, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1]);
  q046.set([0xa0, 0x01, 0x00, chlo.length, ...chlo], 30);
  const dhcp = new Uint8Array(300);
  dhcp.set([1, 1, 6]);
  dhcp.set([0x63, 0x82, 0x53, 0x63, 12, 4, 0x68, 0x6f, 0x73, 0x74, 255], 236);
  return [
    toRecords(hello),
    toRecords(hello, 40),
    hello,
    buildInitial(1, dcid, cryptoFrame(0, quicHello)),
    buildInitial(0x6b3343cf, dcid, cryptoFrame(0, quicHello)),
    buildInitial(0xff00001d, dcid, cryptoFrame(0, quicHello)),
    q046,
    dns,
    new Uint8Array([0, dns.length, ...dns]),
    text("GET /x HTTP/1.1\r\nHost: fuzz.example\r\nAccept: */*\r\n\r\n"),
    text("RQNT 1 *@gw.example MGCP 1.0\r\n"),
    text("PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n"),
    dhcp,
    text("220 mx.fuzz.example ESMTP\r\n"),
    text("# munin node at node.fuzz.example\n"),
    text("fuzz.example\r\n"),
    stunWithRealm("fuzz.example"),
    sdRtn("edge.fuzz.example"),
    collectd("host.fuzz.example", 1),
    xiaomi("push.fuzz.example:5222"),
  ];
}

/** One mutation of `input`: flips, sets (pointer and length bytes), cuts, inserts. */
function mutate(input: Uint8Array, random: () => number): Uint8Array {
  let b = input.slice();
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * Math.max(1, b.length));
    const choice = random();
    if (choice < 0.35) b[at] ^= 1 << Math.floor(random() * 8);
    else if (choice < 0.6) {
      b[at] = [0x00, 0xff, 0xc0, 0x3f, 0x40, 0x80, 0x16, 0x01][Math.floor(random() * 8)];
    } else if (choice < 0.75) b = b.slice(0, at);
    else if (choice < 0.9) b[at] = Math.floor(random() * 256);
    else {
      const grown = new Uint8Array(b.length + 8);
      grown.set(b.subarray(0, at));
      grown.set(b.subarray(at), at + 8);
      for (let i = 0; i < 8; i++) grown[at + i] = Math.floor(random() * 256);
      b = grown;
    }
  }
  return b;
}

/** Serialises a result so two runs compare by value (byte arrays as hex). */
function describe(value: unknown): string {
  return JSON.stringify(value, (_k, v) => v instanceof Uint8Array ? Array.from(v).join(",") : v);
}

/** `input` placed at offset 5 of a buffer whose other bytes are `fill`. */
function surround(input: Uint8Array, fill: number): Uint8Array {
  const out = new Uint8Array(input.length + 40).fill(fill);
  out.set(input, 5);
  return out;
}

Deno.test(`payload parsers survive mutated input and stay in range (seed ${SEED})`, () => {
  const random = mulberry32(SEED);
  const inputs = seeds();
  let runs = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutate(inputs[i % inputs.length], random);
    for (const [name, parse] of Object.entries(PARSERS)) {
      const low = describe(parse(surround(input, 0x00), 5, input.length));
      const high = describe(parse(surround(input, 0xff), 5, input.length));
      assert.equal(low, high, `${name} read outside its range (seed ${SEED}, iteration ${i})`);
      runs++;
    }
  }
  assert.equal(runs, ITERATIONS * Object.keys(PARSERS).length);
});

/** Server ports whose readers differ: TLS, mail, Munin, Xiaomi push, WHOIS, STUN, collectd. */
const SERVER_PORTS = [443, 25, 4949, 5222, 43, 3478, 25826];

Deno.test(`FlowInspector survives mutated packets on reused entries (seed ${SEED})`, () => {
  const random = mulberry32(SEED + 1);
  const inputs = seeds();
  const inspector = new FlowInspector({ entries: 16, buffers: 4, bufferBytes: 2048 });
  for (let i = 0; i < ITERATIONS; i++) {
    const entry = Math.floor(random() * 16);
    if (random() < 0.1) inspector.release(entry);
    if (random() < 0.05) inspector.acquire(entry);
    const input = mutate(inputs[Math.floor(random() * inputs.length)], random);
    const proto = random() < 0.5 ? 6 : 17;
    const seq = Math.floor(random() * 4) * 500;
    const port = SERVER_PORTS[Math.floor(random() * SERVER_PORTS.length)];
    const toServer = random() < 0.5;
    inspector.inspect(
      entry,
      proto,
      random() < 0.7,
      toServer ? 40000 : port,
      toServer ? port : 40000,
      seq,
      0x18,
      input,
      0,
      input.length,
      i,
    );
  }
  assert.ok(inspector.pool.used <= 4);
});
