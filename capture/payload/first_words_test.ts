// Tests for the names in a flow's first words: servers' greetings and STUN realms
// (server_greeting.ts) and clients' first messages in SD-RTN, collectd, Xiaomi push and WHOIS
// (client_names.ts).

import assert from "node:assert/strict";
import { parseMuninGreeting, parseSmtpGreeting, parseStunRealm } from "./server_greeting.ts";
import {
  parseCollectdHost,
  parseSdRtnName,
  parseWhoisQuery,
  parseXiaomiDomain,
} from "./client_names.ts";
import { collectd, sdRtn, stunWithRealm, xiaomi } from "../../tests/helpers/name_messages.ts";

const text = (s: string) => new TextEncoder().encode(s);
const smtp = (s: string) => parseSmtpGreeting(text(s), 0, s.length);

Deno.test("parseSmtpGreeting() reads the host a mail server's greeting names", () => {
  assert.equal(smtp("220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"), "mx.google.com");
  assert.equal(smtp("220-Mail.Example.ORG ESMTP Postfix\r\n220 more\r\n"), "mail.example.org");
  assert.equal(smtp("220 2.0.0 Ready to start TLS\r\n"), null, "a status code is not a name");
  assert.equal(smtp("220 [192.0.2.1] ESMTP\r\n"), null);
  assert.equal(smtp("220 (vsFTPd 3.0.3)\r\n"), null);
  assert.equal(smtp("220 mx.example.com\r\n"), null, "nothing after the word: not a greeting");
  assert.equal(smtp("250 mx.example.com Hello\r\n"), null);
  assert.equal(smtp("EHLO client.example\r\n"), null);
  // Only the given range is read: the name's end is past it.
  assert.equal(parseSmtpGreeting(text("220 mx.example.com ESMTP"), 0, 10), null);
});

Deno.test("parseMuninGreeting() reads the node's host name", () => {
  const g = text("# munin node at Web1.Example.net\n");
  assert.equal(parseMuninGreeting(g, 0, g.length), "web1.example.net");
  const crlf = text("# munin node at db.example\r\n");
  assert.equal(parseMuninGreeting(crlf, 0, crlf.length), "db.example");
  assert.equal(parseMuninGreeting(g, 0, g.length - 1), null, "cut before the newline");
  assert.equal(parseMuninGreeting(text("# munin node at \n"), 0, 17), null);
});

Deno.test("parseStunRealm() reads the REALM attribute among others", () => {
  const m = stunWithRealm("Telegram.org");
  assert.equal(parseStunRealm(m, 0, m.length), "telegram.org");
  const quoted = stunWithRealm('"turn.example.net"');
  assert.equal(parseStunRealm(quoted, 0, quoted.length), "turn.example.net");
  const padded = new Uint8Array(m.length + 8);
  padded.set(m, 4);
  assert.equal(parseStunRealm(padded, 4, m.length), "telegram.org", "at an offset");
  assert.equal(parseStunRealm(m, 0, m.length - 4), null, "length field disagrees");
  const junk = stunWithRealm("bad?\u0001realm");
  assert.equal(parseStunRealm(junk, 0, junk.length), null, "control bytes name nothing");
  const noCookie = m.slice();
  noCookie[4] = 0;
  assert.equal(parseStunRealm(noCookie, 0, noCookie.length), null);
});

Deno.test("parseSdRtnName() reads an Agora edge server's name", () => {
  const d = sdRtn("104-166-161-75.edge.agora.io");
  assert.equal(parseSdRtnName(d, 0, d.length), "104-166-161-75.edge.agora.io");
  assert.equal(parseSdRtnName(d, 0, 30), null, "name cut short");
  const other = d.slice();
  other[6] = 0x20;
  assert.equal(parseSdRtnName(other, 0, other.length), null);
});

Deno.test("parseCollectdHost() reads the HOST part wherever it is among the first parts", () => {
  const first = collectd("devlap.fritz.box");
  assert.equal(parseCollectdHost(first, 0, first.length), "devlap.fritz.box");
  const third = collectd("node7.example", 2);
  assert.equal(parseCollectdHost(third, 0, third.length), "node7.example");
  assert.equal(parseCollectdHost(first, 0, 24), null, "fewer than three whole parts");
  const bad = first.slice();
  bad[0] = 0x7f; // unknown part type first
  assert.equal(parseCollectdHost(bad, 0, bad.length), null);
});

Deno.test("parseXiaomiDomain() reads the server domain of a push client's first message", () => {
  const m = xiaomi("fr-app-chat.example.amazonaws.com:5222");
  assert.equal(parseXiaomiDomain(m, 0, m.length), "fr-app-chat.example.amazonaws.com");
  assert.equal(parseXiaomiDomain(m, 0, m.length - 1), null, "length field disagrees");
  const other = m.slice();
  other[0] = 0;
  assert.equal(parseXiaomiDomain(other, 0, other.length), null);
});

Deno.test("parseWhoisQuery() takes a plain domain query only", () => {
  const q = (s: string) => parseWhoisQuery(text(s), 0, s.length);
  assert.equal(q("Example.COM\r\n"), "example.com");
  assert.equal(q("-T dn example.com\r\n"), null);
  assert.equal(q("example.com"), null, "no CRLF: not a whole request");
  assert.equal(q("localhost\r\n"), null, "one label is not a domain query");
});
