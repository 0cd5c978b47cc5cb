// Tests for the per-flow inspector: split and reordered handshakes, QUIC across datagrams,
// DNS answers into passive DNS, confirmation, reversed roles, budgets, entry reuse and retirement.

import assert from "node:assert/strict";
import { FlowInspector, Inspect } from "./flow_inspector.ts";
import { NameSource, PassiveDns } from "./passive_dns.ts";
import { NameTable } from "./name_table.ts";
import { buildClientHello, toRecords } from "../../tests/helpers/tls_hello.ts";
import { buildInitial, cryptoFrame } from "../../tests/helpers/quic_packet.ts";
import { sdRtn, stunWithRealm, xiaomi } from "../../tests/helpers/name_messages.ts";
import { appLabelOf } from "../../tests/helpers/payload_flows.ts";

const TCP = 6;
const UDP = 17;
const SYN = 0x02;
const PSH_ACK = 0x18;
const text = (s: string) => new TextEncoder().encode(s);

/** Feeds one TCP segment of entry 1's client (port 40000 -> 443). */
function tcp(
  i: FlowInspector,
  seq: number,
  data: Uint8Array,
  fromClient = true,
  entry = 1,
): number {
  const [sp, dp] = fromClient ? [40000, 443] : [443, 40000];
  return i.inspect(
    entry,
    TCP,
    fromClient,
    sp,
    dp,
    seq,
    data.length ? PSH_ACK : SYN,
    data,
    0,
    data.length,
    100,
  );
}

Deno.test("inspect() reads an SNI split across three segments that arrive out of order", () => {
  const i = new FlowInspector({ entries: 4 });
  const stream = toRecords(buildClientHello({ sni: "www.youtube.com", paddingBefore: 2500 }));
  const a = stream.subarray(0, 1400);
  const b = stream.subarray(1400, 2800);
  const c = stream.subarray(2800);
  tcp(i, 999, new Uint8Array(0)); // SYN: data starts at 1000
  assert.equal(tcp(i, 1000 + 2800, c) & Inspect.NameFound, 0);
  assert.equal(tcp(i, 1000, a) & Inspect.NameFound, 0);
  assert.equal(i.pool.used, 1);
  const r = tcp(i, 1000 + 1400, b);
  assert.ok(r & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "www.youtube.com");
  assert.equal(i.sourceOf(1), NameSource.Sni);
  assert.equal(appLabelOf(i, 1), "TLS.YouTube");
  assert.equal(i.pool.used, 0, "the buffer goes back once the hello is read");
  assert.ok(i.wantsMore(1), "still waiting for the server's answer");
  const answer = tcp(i, 5000, new Uint8Array([22, 3, 3, 0, 10, 2]), false);
  assert.ok(answer & Inspect.Confirmed);
  assert.ok(answer & Inspect.Done);
  assert.equal(i.wantsMore(1), false);
  assert.equal(tcp(i, 6000, a), Inspect.Done);
});

Deno.test("inspect() starts the stream at the first hello segment when no SYN was seen", () => {
  const i = new FlowInspector({ entries: 4 });
  const stream = toRecords(buildClientHello({ sni: "nosyn.example", paddingBefore: 1800 }));
  assert.equal(tcp(i, 7000, stream.subarray(0, 1000)) & Inspect.NameFound, 0);
  tcp(i, 7000, stream.subarray(0, 1000)); // a retransmission changes nothing
  assert.ok(tcp(i, 8000, stream.subarray(1000)) & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "nosyn.example");
});

Deno.test("inspect() finds a ClientHello after STARTTLS and an HTTP Host", () => {
  const i = new FlowInspector({ entries: 4 });
  tcp(i, 0, new Uint8Array(0));
  tcp(i, 1, text("EHLO client.example\r\n"));
  tcp(i, 22, text("STARTTLS\r\n"));
  assert.ok(tcp(i, 32, toRecords(buildClientHello({ sni: "mx.example" }))) & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "mx.example");
  assert.equal(appLabelOf(i, 1), "SMTP");
  const r = tcp(i, 0, text("GET / HTTP/1.1\r\nHost: www.netflix.com:8080\r\n\r\n"), true, 2);
  assert.ok(r & Inspect.NameFound);
  assert.equal(i.nameTextOf(2), "www.netflix.com");
  assert.equal(appLabelOf(i, 2), "HTTP.Netflix");
  assert.ok(tcp(i, 0, text("HTTP/1.1 200 OK\r\n\r\n"), false, 2) & Inspect.Confirmed);
});

Deno.test("inspect() knows the hello's sender is the server side when roles were swapped", () => {
  const i = new FlowInspector({ entries: 4 });
  const hello = toRecords(buildClientHello({ sni: "swapped.example" }));
  tcp(i, 10, hello, false);
  assert.equal(i.nameTextOf(1), "swapped.example");
  assert.equal(i.nameOwnerIsInitiator(1), true);
  assert.ok(tcp(i, 10, new Uint8Array([22, 3, 3, 0, 1, 2]), true) & Inspect.Confirmed);
});

Deno.test("inspect() gathers a QUIC ClientHello over two Initial datagrams", () => {
  const i = new FlowInspector({ entries: 4 });
  const dcid = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);
  const hello = buildClientHello({ sni: "www.google.com", alpn: ["h3"], paddingBefore: 1500 });
  const one = buildInitial(1, dcid, cryptoFrame(0, hello.subarray(0, 1000)));
  const two = buildInitial(1, dcid, cryptoFrame(1000, hello.subarray(1000)), { pn: 1 });
  const udp = (d: Uint8Array, fromClient = true) =>
    i.inspect(3, UDP, fromClient, 50000, 443, 0, 0, d, 0, d.length, 100);
  assert.equal(udp(one) & Inspect.NameFound, 0);
  assert.ok(udp(two) & Inspect.NameFound);
  assert.equal(appLabelOf(i, 3), "QUIC.Google");
  assert.equal(i.sourceOf(3), NameSource.Quic);
  const serverInitial = new Uint8Array(1200);
  serverInitial[0] = 0xc0;
  assert.ok(udp(serverInitial, false) & Inspect.Confirmed);
});

Deno.test("inspect() names a DNS flow by its query and teaches passive DNS the answer", () => {
  const names = new NameTable(64);
  const passive = new PassiveDns(names);
  const i = new FlowInspector({ entries: 4, names, passiveDns: passive });
  const query = [
    0x12,
    0x34,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    0x77,
    0x77,
    0x77,
    3,
    0x61,
    0x62,
    0x63,
    0,
    0,
    1,
    0,
    1,
  ];
  const q = new Uint8Array(query);
  const answer = new Uint8Array([
    ...query.slice(0, 2),
    0x81,
    0x80,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    ...query.slice(12),
    0xc0,
    12,
    0,
    1,
    0,
    1,
    0,
    0,
    1,
    0,
    0,
    4,
    192,
    0,
    2,
    7,
  ]);
  assert.ok(i.inspect(0, UDP, true, 5000, 53, 0, 0, q, 0, q.length, 50) & Inspect.NameFound);
  assert.ok(i.wantsMore(0));
  assert.ok(i.inspect(0, UDP, false, 53, 5000, 0, 0, answer, 0, answer.length, 51) & Inspect.Done);
  assert.equal(i.nameTextOf(0), "www.abc");
  assert.equal(appLabelOf(i, 0), "DNS");
  assert.deepEqual(passive.lookup([0xc0000207], 0, false, 52), {
    name: "www.abc",
    source: "dns",
    seen: 51,
  });
});

Deno.test("inspect() stops after its budget and on protocols without names", () => {
  const i = new FlowInspector({ entries: 4, budget: 3 });
  const junk = text("nothing to see here");
  tcp(i, 1, junk);
  tcp(i, 20, junk);
  assert.ok(tcp(i, 39, junk) & Inspect.Done);
  assert.equal(i.nameOf(1), 0);
  const ssh = text("SSH-2.0-OpenSSH_9.2\r\n");
  assert.ok(tcp(i, 1, ssh, true, 2) & Inspect.Done);
  assert.equal(appLabelOf(i, 2), "SSH");
});

Deno.test("release() frees the entry's name and buffer for the next flow", () => {
  const names = new NameTable(8);
  const i = new FlowInspector({ entries: 2, names, buffers: 1 });
  const stream = toRecords(buildClientHello({ sni: "held.example", paddingBefore: 2000 }));
  tcp(i, 0, stream.subarray(0, 500));
  assert.equal(i.pool.used, 1);
  tcp(i, 500, stream.subarray(500));
  const id = i.nameOf(1);
  assert.equal(names.refsOf(id), 1);
  i.release(1);
  assert.equal(names.refsOf(id), 0);
  assert.ok(i.wantsMore(1));
  assert.equal(i.nameOf(1), 0);
  assert.ok(
    tcp(i, 0, text("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"), true, 1) & Inspect.NameFound,
  );
});

Deno.test("acquire() takes entries in turn and retires the flow that held one longest", () => {
  const names = new NameTable(8);
  const i = new FlowInspector({ entries: 2, names, buffers: 2 });
  const hello = (sni: string) => toRecords(buildClientHello({ sni, paddingBefore: 2000 }));
  const a = i.acquire(100);
  assert.equal(i.retiredOwner, -1);
  tcp(i, 0, hello("a.example").subarray(0, 500), true, a); // half a hello: holds a buffer
  const b = i.acquire(101);
  assert.notEqual(a, b);
  assert.equal(i.entries.owner[b], 101);
  const named = tcp(i, 0, text("GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"), true, b);
  assert.ok(named & Inspect.NameFound);
  const id = i.nameOf(b);
  assert.equal(i.pool.used, 1);
  // Both are held: the third flow takes the oldest entry, and flow 100 stops being inspected.
  const c = i.acquire(102);
  assert.equal(c, a);
  assert.equal(i.retiredOwner, 100);
  assert.equal(i.retired, 1);
  assert.equal(i.pool.used, 0, "the retired flow's buffer went back");
  assert.equal(i.entries.owner[c], 102);
  assert.ok(i.wantsMore(c));
  assert.equal(i.nameOf(c), 0);
  // An entry given back is taken again without retiring anyone.
  i.release(b);
  assert.equal(names.refsOf(id), 0, "the entry's reference on its name went back");
  assert.equal(i.acquire(103), b);
  assert.equal(i.retiredOwner, -1);
  assert.equal(i.retired, 1);
  assert.throws(() => new FlowInspector({ entries: 70000 }), RangeError);
});

Deno.test("a pool with no free buffer still reads hellos that fit one segment", () => {
  const i = new FlowInspector({ entries: 4, buffers: 1 });
  const big = toRecords(buildClientHello({ sni: "big.example", paddingBefore: 2000 }));
  tcp(i, 0, big.subarray(0, 100), true, 0); // takes the only buffer
  tcp(i, 0, big.subarray(0, 100), true, 1); // none left: counted, given up
  assert.equal(i.pool.drops, 1);
  assert.ok(
    tcp(i, 0, toRecords(buildClientHello({ sni: "small.example" })), true, 2) & Inspect.NameFound,
  );
});

/** A DHCP client message of `type` with host name `host`, ciaddr `ciaddr`, option 50 `want`. */
function dhcpClient(type: number, host: string, ciaddr: number[], want?: number[]): Uint8Array {
  const b = new Uint8Array(300);
  b.set([1, 1, 6]); // BOOTREQUEST, Ethernet, 6-byte MAC
  b.set(ciaddr, 12);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  const options = [53, 1, type, 12, host.length, ...text(host), ...(want ? [50, 4, ...want] : [])];
  b.set([...options, 255], 240);
  return b;
}

Deno.test("inspect() names each DHCP client's address, though all share one broadcast flow", () => {
  const names = new NameTable(64);
  const passive = new PassiveDns(names);
  const i = new FlowInspector({ entries: 4, names, passiveDns: passive, budget: 3 });
  const send = (b: Uint8Array, now: number) =>
    i.inspect(0, UDP, true, 68, 67, 0, 0, b, 0, b.length, now);
  // 0.0.0.0:68 -> 255.255.255.255:67: a DISCOVER names no address yet, a REQUEST for
  // 192.168.2.17 (option 50) does, and so does a renewal from its own address (ciaddr).
  assert.ok(send(dhcpClient(1, "Lucas-iMac", [0, 0, 0, 0]), 10) & Inspect.NameFound);
  for (let n = 0; n < 4; n++) send(dhcpClient(1, "Other", [0, 0, 0, 0], [10, 0, 0, 9]), 11);
  send(dhcpClient(3, "Lucas-iPhone", [0, 0, 0, 0], [192, 168, 2, 17]), 12);
  send(dhcpClient(3, "printer", [10, 0, 0, 5]), 13);
  assert.equal(i.nameTextOf(0), "lucas-imac", "the flow keeps its first name");
  assert.equal(passive.lookup([0xc0a80211], 0, false, 14)?.name, "lucas-iphone");
  assert.equal(passive.lookup([0xc0a80211], 0, false, 14)?.source, "dhcp");
  assert.equal(passive.lookup([0x0a000005], 0, false, 14)?.name, "printer");
  assert.equal(passive.lookup([0x0a000009], 0, false, 14), undefined, "a DISCOVER is a wish");
});

Deno.test("inspect() names the sender of a NetBIOS datagram by the address it carries", () => {
  const names = new NameTable(64);
  const passive = new PassiveDns(names);
  const i = new FlowInspector({ entries: 4, names, passiveDns: passive });
  const label = [..."MSEDGEWIN10".padEnd(15, " "), "\0"].flatMap((c) => {
    const v = c.charCodeAt(0);
    return [0x41 + (v >> 4), 0x41 + (v & 15)];
  });
  // Direct group datagram from 10.0.2.15:138: header (14), source name, destination name.
  const b = new Uint8Array([
    ...[0x11, 0x02, 0, 1, 10, 0, 2, 15, 0, 138, 0, 100, 0, 0],
    ...[0x20, ...label, 0],
    ...[0x20, ...label, 0],
  ]);
  assert.ok(i.inspect(0, UDP, true, 138, 138, 0, 0, b, 0, b.length, 20) & Inspect.NameFound);
  assert.equal(passive.lookup([0x0a00020f], 0, false, 21)?.name, "msedgewin10");
  assert.equal(passive.lookup([0x0a00020f], 0, false, 21)?.source, "netbios");
});

Deno.test("a mail server's greeting names the flow until the client's SNI after STARTTLS", () => {
  const names = new NameTable(64);
  const i = new FlowInspector({ entries: 4, names });
  let seen = 0;
  const mail = (seq: number, s: string, fromClient: boolean) => {
    const [sp, dp] = fromClient ? [40000, 25] : [25, 40000];
    const b = text(s);
    const r = i.inspect(1, TCP, fromClient, sp, dp, seq, PSH_ACK, b, 0, b.length, 100);
    seen |= r;
    return r;
  };
  assert.ok(mail(1, "220 mx.example.com ESMTP Postfix\r\n", false) & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "mx.example.com");
  assert.equal(i.sourceOf(1), NameSource.Greeting);
  assert.equal(mail(1, "EHLO client.example\r\n", true) & Inspect.NameFound, 0);
  mail(36, "250 mx.example.com\r\n", false);
  mail(22, "STARTTLS\r\n", true);
  assert.equal(mail(56, "220 2.0.0 Ready to start TLS\r\n", false) & Inspect.NameFound, 0);
  assert.ok(i.wantsMore(1), "a ClientHello may still come");
  assert.equal(seen & Inspect.Confirmed, 0, "a greeting is never learned for an address");
  const hello = toRecords(buildClientHello({ sni: "smtp.example.com" }));
  const r = i.inspect(1, TCP, true, 40000, 25, 32, PSH_ACK, hello, 0, hello.length, 100);
  assert.ok(r & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "smtp.example.com");
  assert.equal(names.refsOf(names.find("mx.example.com")), 0, "the greeting's name let go");
});

Deno.test("a STUN realm, an SD-RTN server and a Xiaomi domain name their flows only", () => {
  const names = new NameTable(64);
  const passive = new PassiveDns(names);
  const i = new FlowInspector({ entries: 4, names, passiveDns: passive });
  const udp = (entry: number, b: Uint8Array, sp: number, dp: number) =>
    i.inspect(entry, UDP, true, sp, dp, 0, 0, b, 0, b.length, 100);
  // A Binding request names nothing; the Allocate error response's REALM does.
  const binding = stunWithRealm("x", 0x0001).subarray(0, 20);
  new DataView(binding.buffer, binding.byteOffset).setUint16(2, 0);
  assert.equal(udp(0, binding, 40000, 3478) & Inspect.NameFound, 0);
  assert.ok(i.wantsMore(0), "an unnamed STUN flow is still read");
  assert.ok(udp(0, stunWithRealm("telegram.org"), 3478, 40000) & Inspect.NameFound);
  assert.equal(i.nameTextOf(0), "telegram.org");
  assert.equal(i.sourceOf(0), NameSource.StunRealm);
  assert.ok(udp(1, sdRtn("1-2-3-4.edge.agora.io"), 40001, 8130) & Inspect.NameFound);
  assert.equal(i.nameTextOf(1), "1-2-3-4.edge.agora.io");
  assert.equal(i.sourceOf(1), NameSource.ClientMessage);
  const m = xiaomi("push.example.com:5222");
  const r = i.inspect(2, TCP, true, 40002, 5222, 1, PSH_ACK, m, 0, m.length, 100);
  assert.ok(r & Inspect.NameFound && r & Inspect.Done);
  assert.equal(i.nameTextOf(2), "push.example.com");
  for (const entry of [0, 1, 2]) assert.equal(i.nameOwnerIsInitiator(entry), false);
  assert.equal([...names.entries()].length, 3);
});

/** A DNS message: `response` with question `qname` (none when "") and one A answer `aname`. */
function dnsMessage(response: boolean, qname: string, aname = ""): Uint8Array {
  const labels = (name: string) =>
    name ? [...name.split(".").flatMap((l) => [l.length, ...text(l)]), 0] : [];
  const question = qname ? [...labels(qname), 0, 1, 0, 1] : [];
  const answer = aname ? [...labels(aname), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2] : [];
  const header = [0, 7, response ? 0x84 : 0x01, 0, 0, qname ? 1 : 0, 0, aname ? 1 : 0, 0, 0, 0, 0];
  return new Uint8Array([...header, ...question, ...answer]);
}

Deno.test("a DNS flow takes its last question until an answer, not an answer's own name", () => {
  const i = new FlowInspector({ entries: 4 });
  const send = (b: Uint8Array, fromClient: boolean) =>
    i.inspect(0, UDP, fromClient, 5353, 5353, 0, 0, b, 0, b.length, 10);
  // A tunnel's retried queries: the flow is named by the one the server answers.
  assert.ok(send(dnsMessage(false, "a1.tunnel.example"), true) & Inspect.NameFound);
  assert.ok(send(dnsMessage(false, "b2.tunnel.example"), true) & Inspect.NameFound);
  assert.equal(send(dnsMessage(false, "b2.tunnel.example"), true) & Inspect.NameFound, 0);
  assert.equal(i.nameTextOf(0), "b2.tunnel.example");
  // An answer that carries no question (mDNS) names nothing over a question, and ends it.
  const r = send(dnsMessage(true, "", "2.0.0.10.in-addr.arpa"), false);
  assert.equal(r & Inspect.NameFound, 0);
  assert.ok(r & Inspect.Done);
  assert.equal(i.nameTextOf(0), "b2.tunnel.example");
  // Alone, such an answer names its flow.
  const alone = dnsMessage(true, "", "printer.local");
  assert.ok(
    i.inspect(1, UDP, true, 5353, 5353, 0, 0, alone, 0, alone.length, 10) & Inspect.NameFound,
  );
  assert.equal(i.nameTextOf(1), "printer.local");
});
