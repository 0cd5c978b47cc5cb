// Tests for passive DNS: CNAME chains, TTL clamps and expiry, precedence, bounds, export.

import assert from "node:assert/strict";
import { NameSource, PassiveDns } from "./passive_dns.ts";
import { NameTable } from "./name_table.ts";
import type { DnsMessage } from "../../capture/payload/dns_message.ts";

const ADDR = [0xc0000201]; // 192.0.2.1
const V6 = [0x20010db8, 0, 0, 1];
const table = (options = {}) => new PassiveDns(new NameTable(64), options);

function response(question: string, answers: DnsMessage["answers"]): DnsMessage {
  return {
    id: 1,
    response: true,
    opcode: 0,
    rcode: 0,
    questionName: question,
    questionType: 1,
    answers,
    firstAnswerName: answers[0]?.name ?? "",
    complete: true,
  };
}

Deno.test("PassiveDns names an address with the queried name through a CNAME chain", () => {
  const p = table();
  const m = response("www.example.com", [
    { name: "www.example.com", type: 5, ttl: 600, target: "edge.cdn.example" },
    { name: "edge.cdn.example", type: 5, ttl: 600, target: "e1.cdn.example" },
    { name: "e1.cdn.example", type: 1, ttl: 20, address: ADDR },
    { name: "e1.cdn.example", type: 28, ttl: 20, address: V6 },
  ]);
  assert.equal(p.learnDnsAnswers(m, 1000), 2);
  assert.deepEqual(p.lookup(ADDR, 0, false, 1000), {
    name: "www.example.com",
    source: "dns",
    seen: 1000,
  });
  assert.equal(p.lookup(V6, 0, true, 1000)?.name, "www.example.com");
  const all = p.namesOf(ADDR, 0, false, 1000).map((n) => n.name);
  assert.deepEqual(all, ["www.example.com", "e1.cdn.example"]);
  // TTL 20 is clamped up to 300 s.
  assert.ok(p.lookup(ADDR, 0, false, 1299));
  assert.equal(p.lookup(ADDR, 0, false, 1300), undefined);
  assert.equal(p.sweep(1300), 4);
  assert.equal(p.size, 0);
});

Deno.test("PassiveDns ignores failed responses and queries", () => {
  const p = table();
  const m = response("x.example", [{ name: "x.example", type: 1, ttl: 60, address: ADDR }]);
  assert.equal(p.learnDnsAnswers({ ...m, rcode: 3 }, 0), 0);
  assert.equal(p.learnDnsAnswers({ ...m, response: false }, 0), 0);
});

Deno.test("PassiveDns never lets a weaker source hide a stronger one", () => {
  const p = table({ maxTtl: 86400 });
  p.learn(ADDR, 0, false, "real.example", NameSource.Dns, 3600, 0);
  p.learn(ADDR, 0, false, "claimed.example", NameSource.Sni, 0, 10);
  p.learn(ADDR, 0, false, "host.example", NameSource.Http, 0, 20);
  assert.equal(p.lookup(ADDR, 0, false, 30)?.name, "real.example");
  // Once the DNS name expires, the SNI claim is shown.
  assert.deepEqual(p.lookup(ADDR, 0, false, 3601), {
    name: "claimed.example",
    source: "sni",
    seen: 10,
  });
  // Within a rank the most recent wins.
  p.learn(ADDR, 0, false, "newer.example", NameSource.Quic, 0, 3700);
  assert.equal(p.lookup(ADDR, 0, false, 3701)?.name, "newer.example");
});

Deno.test("PassiveDns keeps a stronger name when the address's slots are full of them", () => {
  const p = table();
  for (const n of ["a", "b", "c", "d"]) {
    p.learn(ADDR, 0, false, `${n}.example`, NameSource.Dns, 600, 0);
  }
  assert.equal(p.learn(ADDR, 0, false, "weak.example", NameSource.Http, 0, 1), false);
  assert.equal(p.learn(ADDR, 0, false, "e.example", NameSource.Dns, 600, 2), true);
  assert.equal(p.namesOf(ADDR, 0, false, 3).length, 4);
});

Deno.test("PassiveDns drops ports and refuses address literals as names", () => {
  const p = table();
  assert.equal(p.learn(ADDR, 0, false, "www.example:8080", NameSource.Http, 0, 0), true);
  assert.equal(p.lookup(ADDR, 0, false, 1)?.name, "www.example");
  assert.equal(p.learn(ADDR, 0, false, "192.0.2.1", NameSource.Sni, 0, 0), false);
  assert.equal(p.learn(ADDR, 0, false, "[2001:db8::1]:443", NameSource.Http, 0, 0), false);
});

Deno.test("PassiveDns evicts the least recently learned address when full and counts it", () => {
  const p = table({ capacity: 2 });
  p.learn([1], 0, false, "one.example", NameSource.Dns, 600, 0);
  p.learn([2], 0, false, "two.example", NameSource.Dns, 600, 1);
  p.learn([1], 0, false, "one.example", NameSource.Dns, 600, 2); // refreshes [1]
  p.learn([3], 0, false, "three.example", NameSource.Dns, 600, 3);
  assert.equal(p.size, 2);
  assert.equal(p.evictions, 1);
  assert.equal(p.lookup([2], 0, false, 4), undefined);
  assert.equal(p.lookup([1], 0, false, 4)?.name, "one.example");
});

Deno.test("PassiveDns exports learned names once, with counted drops past its queue", () => {
  const p = table({ recentCapacity: 2 });
  p.learn(ADDR, 0, false, "a.example", NameSource.Dns, 600, 5);
  p.learn(V6, 0, true, "b.example", NameSource.Sni, 0, 6);
  p.learn(ADDR, 0, false, "c.example", NameSource.Dns, 600, 7);
  assert.equal(p.recentDrops, 1);
  const out = p.drainLearned();
  assert.deepEqual(out.map((n) => [n.address, n.name, n.source]), [
    ["192.0.2.1", "a.example", "dns"],
    ["2001:db8::1", "b.example", "sni"],
  ]);
  assert.deepEqual(p.drainLearned(), []);
});

Deno.test("PassiveDns takes only local names from mDNS answers, so a LAN host cannot rename sites", () => {
  const p = table();
  // A responder on the LAN multicasts an A record for a public site's name.
  const spoof = response("", [{ name: "www.bank.example", type: 1, ttl: 120, address: ADDR }]);
  assert.equal(p.learnDnsAnswers(spoof, 1000, NameSource.Mdns), 0);
  p.learn(ADDR, 0, false, "real.bank.example", NameSource.Sni, 0, 1000);
  assert.equal(p.lookup(ADDR, 0, false, 1001)?.name, "real.bank.example");
  // Its own .local name, and an LLMNR single-label name, still count.
  const own = response("", [{ name: "printer.local", type: 1, ttl: 120, address: [0x0a000005] }]);
  assert.equal(p.learnDnsAnswers(own, 1000, NameSource.Mdns), 1);
  assert.equal(p.lookup([0x0a000005], 0, false, 1001)?.name, "printer.local");
  const llmnr = response("desktop-7", [{
    name: "desktop-7",
    type: 1,
    ttl: 30,
    address: [0x0a000006],
  }]);
  assert.equal(p.learnDnsAnswers(llmnr, 1000, NameSource.Mdns), 1);
});
