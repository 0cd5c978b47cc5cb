// Tests for flow queries: each filter, sorting, offset paging and cursor stability.

import assert from "node:assert/strict";
import { FlowEngine } from "./flow_engine.ts";
import { type FlowQuery, keepBelowSample } from "./query.ts";
import { batchOf, type TestPacket } from "../tests/helpers/packets.ts";

/**
 * Six flows, labelled 1-6 as below; flow 6 comes first and ends (UDP idle) before the others
 * start, so its record id is 1 and the others' ids are their label + 1 (see `label`).
 *   1 tcp 10.0.0.5:40000 -> 10.1.0.1:443  vlan 7  SF   3 KB  t 100-130
 *   2 tcp 10.0.0.6:40001 -> 10.1.0.2:22           S0   60 B  t 110
 *   3 udp 10.0.0.5:5353  -> 192.168.1.1:53        SF   400 B t 120-121
 *   4 tcp 2001:db8::5:40002 -> 2001:db8:1::1:80   REJ  120 B t 125
 *   5 icmp 10.0.0.7 -> 10.1.0.1 (echo)            SF   200 B t 126-127
 *   6 udp 172.16.0.1:9999 -> 172.16.0.2:9999      S0   1000 B t 10 (ended)
 */
function fixture(): FlowEngine {
  const engine = new FlowEngine({ udpTimeoutSec: 60 });
  const tcp = (
    ts: number,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    tcp: number,
    len = 60,
  ) => ({ ts, src, dst, proto: 6, sport, dport, tcp, len }) as TestPacket;
  engine.add(batchOf([
    {
      ts: 10,
      src: "172.16.0.1",
      dst: "172.16.0.2",
      proto: 17,
      sport: 9999,
      dport: 9999,
      len: 1000,
    },
  ]));
  engine.tick(100);
  engine.add(batchOf([
    { ...tcp(100, "10.0.0.5", "10.1.0.1", 40000, 443, 2), vlan: 7 },
    { ...tcp(100.1, "10.1.0.1", "10.0.0.5", 443, 40000, 18), vlan: 7 },
    { ...tcp(100.2, "10.0.0.5", "10.1.0.1", 40000, 443, 16, 1000), vlan: 7 },
    { ...tcp(110, "10.0.0.6", "10.1.0.2", 40001, 22, 2) },
    { ts: 120, src: "10.0.0.5", dst: "192.168.1.1", proto: 17, sport: 5353, dport: 53, len: 200 },
    { ts: 121, src: "192.168.1.1", dst: "10.0.0.5", proto: 17, sport: 53, dport: 5353, len: 200 },
    tcp(125, "2001:db8::5", "2001:db8:1::1", 40002, 80, 2),
    tcp(125, "2001:db8:1::1", "2001:db8::5", 80, 40002, 20),
    { ts: 126, src: "10.0.0.7", dst: "10.1.0.1", proto: 1, sport: 8, dport: 0 },
    { ts: 127, src: "10.1.0.1", dst: "10.0.0.7", proto: 1, sport: 0, dport: 0 },
    { ...tcp(130, "10.0.0.5", "10.1.0.1", 40000, 443, 17, 1800), vlan: 7 },
    { ...tcp(130, "10.1.0.1", "10.0.0.5", 443, 40000, 17, 60), vlan: 7 },
  ]));
  return engine;
}

/** Fixture label of a record id (flows added after the fixture keep their id). */
function label(id: number): number {
  return id === 1 ? 6 : id <= 6 ? id - 1 : id;
}

/** Labels of the flows a query returns, in order. */
function ids(engine: FlowEngine, query: FlowQuery): number[] {
  return engine.query(query).flows.map((f) => label(f.id));
}

Deno.test("query() with no filter returns every flow, active and ended, last seen first", () => {
  const page = fixture().query({});
  assert.equal(page.total, 6);
  assert.deepEqual(page.flows.map((f) => label(f.id)), [1, 5, 4, 3, 2, 6]);
  assert.equal(page.next_cursor, null);
});

Deno.test("query() filters by address, CIDR, client and server", () => {
  const engine = fixture();
  assert.deepEqual(ids(engine, { address: "10.1.0.1", sort: "first", order: "asc" }), [1, 5]);
  assert.deepEqual(ids(engine, { address: "10.0.0.0/8", sort: "first", order: "asc" }), [
    1,
    2,
    3,
    5,
  ]);
  assert.deepEqual(ids(engine, { address: "2001:db8::/32" }), [4]);
  assert.deepEqual(ids(engine, { client: "10.0.0.5", sort: "first", order: "asc" }), [1, 3]);
  assert.deepEqual(ids(engine, { server: "10.0.0.5" }), []);
  assert.deepEqual(ids(engine, { server: "192.168.0.0/16" }), [3]);
});

Deno.test("query() filters by port, server port, protocol, VLAN and service", () => {
  const engine = fixture();
  assert.deepEqual(ids(engine, { port: 443 }), [1]);
  assert.deepEqual(ids(engine, { port: 5353 }), [3]);
  assert.deepEqual(ids(engine, { port: 8 }), [], "ICMP type is not a port");
  assert.deepEqual(ids(engine, { serverPort: 53 }), [3]);
  assert.deepEqual(ids(engine, { proto: "tcp", sort: "first", order: "asc" }), [1, 2, 4]);
  assert.deepEqual(ids(engine, { proto: 1 }), [5]);
  assert.deepEqual(ids(engine, { vlan: 7 }), [1]);
  assert.deepEqual(ids(engine, { service: "ssh" }), [2]);
  assert.deepEqual(ids(engine, { service: "DNS" }), [3]);
});

Deno.test("query() filters by state, active, minimum bytes and time range", () => {
  const engine = fixture();
  assert.deepEqual(ids(engine, { state: "rej" }), [4]);
  assert.deepEqual(ids(engine, { state: "S0", proto: "tcp" }), [2]);
  assert.deepEqual(ids(engine, { active: false }), [6]);
  assert.equal(engine.query({ active: true }).total, 5);
  assert.deepEqual(ids(engine, { minBytes: 1000, sort: "bytes" }), [1, 6]);
  assert.deepEqual(ids(engine, { from: 121, to: 125, sort: "first", order: "asc" }), [1, 3, 4]);
  assert.deepEqual(ids(engine, { to: 50 }), [6]);
});

Deno.test("query() free text matches addresses, ports, services and protocol names", () => {
  const engine = fixture();
  assert.deepEqual(ids(engine, { text: "192.168" }), [3]);
  assert.deepEqual(ids(engine, { text: "db8:1" }), [4]);
  assert.deepEqual(ids(engine, { text: "https" }), [1]);
  assert.deepEqual(ids(engine, { text: "9999" }), [6]);
  assert.deepEqual(ids(engine, { text: "icmp" }), [5]);
});

Deno.test("query() sorts by each key, both ways, ties by id", () => {
  const engine = fixture();
  assert.deepEqual(ids(engine, { sort: "bytes" }), [1, 6, 3, 5, 4, 2]);
  assert.deepEqual(ids(engine, { sort: "bytes", order: "asc" }), [2, 4, 5, 3, 6, 1]);
  assert.deepEqual(ids(engine, { sort: "packets" }), [1, 3, 4, 5, 6, 2]);
  assert.deepEqual(ids(engine, { sort: "duration" }), [1, 3, 5, 6, 2, 4]);
  assert.deepEqual(ids(engine, { sort: "first", order: "asc" }), [6, 1, 2, 3, 4, 5]);
  assert.deepEqual(ids(engine, { sort: "rate" }).slice(0, 2), [6, 3]);
});

Deno.test("query() pages with offset and limit", () => {
  const engine = fixture();
  const all = ids(engine, { sort: "first", order: "asc" });
  assert.deepEqual(ids(engine, { sort: "first", order: "asc", limit: 2 }), all.slice(0, 2));
  assert.deepEqual(
    ids(engine, { sort: "first", order: "asc", limit: 2, offset: 2 }),
    all.slice(2, 4),
  );
  assert.deepEqual(ids(engine, { sort: "first", order: "asc", offset: 5 }), all.slice(5));
  assert.equal(engine.query({ offset: 10 }).flows.length, 0);
});

Deno.test("query() cursors walk every row once, even when new flows arrive between pages", () => {
  const engine = fixture();
  const seen: number[] = [];
  let page = engine.query({ sort: "first", order: "asc", limit: 2 });
  seen.push(...page.flows.map((f) => label(f.id)));
  // A flow that sorts before the cursor must not shift the next pages.
  engine.add(
    batchOf([{ ts: 130, src: "10.9.9.9", dst: "10.9.9.8", proto: 17, sport: 1, dport: 2 }]),
  );
  while (page.next_cursor) {
    page = engine.query({ sort: "first", order: "asc", limit: 2, cursor: page.next_cursor });
    seen.push(...page.flows.map((f) => label(f.id)));
  }
  assert.deepEqual(seen, [6, 1, 2, 3, 4, 5, 7]);
});

Deno.test("query() cursors keep ties apart by id", () => {
  const engine = new FlowEngine();
  const packets: TestPacket[] = [];
  for (let n = 0; n < 25; n++) {
    packets.push({
      ts: 5,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: 17,
      sport: 1000 + n,
      dport: 53,
    });
  }
  engine.add(batchOf(packets));
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = engine.query({ sort: "bytes", limit: 7, cursor });
    seen.push(...page.flows.map((f) => f.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, n) => n + 1));
});

Deno.test("query() rejects bad filters, sorts, pages and cursors with a message", () => {
  const engine = fixture();
  assert.throws(
    () => engine.query({ address: "10.0.0.300" }),
    /Invalid address or CIDR "10.0.0.300"/,
  );
  assert.throws(() => engine.query({ address: "10.0.0.0/33" }), /prefix length/);
  assert.throws(() => engine.query({ proto: "nope" }), /Unknown protocol "nope"/);
  assert.throws(() => engine.query({ service: "nope" }), /Unknown service/);
  assert.throws(() => engine.query({ state: "XX" }), /Unknown state/);
  assert.throws(() => engine.query({ sort: "size" as "bytes" }), /Invalid sort/);
  assert.throws(() => engine.query({ limit: 0 }), RangeError);
  assert.throws(() => engine.query({ cursor: "@@" }), /Invalid cursor/);
  const cursor = engine.query({ limit: 1 }).next_cursor!;
  assert.throws(() => engine.query({ sort: "bytes", cursor }), /was made for sort=last/);
});

Deno.test("query() pages agree with a full sort of every record", () => {
  const engine = new FlowEngine();
  const packets: TestPacket[] = [];
  let seed = 7;
  for (let n = 0; n < 600; n++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    packets.push({
      ts: 1000 + (seed % 50),
      src: `10.0.${n >> 8}.${n & 255}`,
      dst: "10.9.0.1",
      proto: 17,
      sport: 1000,
      dport: 53,
      len: 60 + (seed % 7) * 100, // many ties
    });
  }
  engine.add(batchOf(packets));
  const all = engine.activeRecords()
    .sort((a, b) => b.bytes_c2s - a.bytes_c2s || a.id - b.id)
    .map((f) => f.id);
  for (const offset of [0, 13, 250, 590]) {
    const page = engine.query({ sort: "bytes", offset, limit: 20 });
    assert.deepEqual(
      page.flows.map((f) => f.id),
      all.slice(offset, offset + 20),
      `offset ${offset}`,
    );
  }
  const walked: number[] = [];
  let cursor: string | undefined;
  do {
    const page = engine.query({ sort: "bytes", limit: 37, cursor });
    walked.push(...page.flows.map((f) => f.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  assert.deepEqual(walked, all);
});

Deno.test("offset pages over many tied flows equal a full sort, page by page", () => {
  // 30,000 flows whose bytes and packets take few values, so most rows tie and the id decides;
  // 1,000 of them ended, so both the active table and the history are searched.
  const engine = new FlowEngine({ udpTimeoutSec: 5 });
  const packets: TestPacket[] = [];
  for (let f = 0; f < 30_000; f++) {
    const ts = f < 1_000 ? 1 : 100 + f * 1e-4;
    const src = `10.${(f >> 16) & 255}.${(f >> 8) & 255}.${f & 255}`;
    for (let p = 0; p <= f % 3; p++) {
      packets.push({
        ts,
        src,
        dst: "10.200.0.1",
        proto: 17,
        sport: 1000 + (f % 7),
        dport: 53,
        len: 100 + 100 * ((f * 7919) % 5),
      });
    }
  }
  for (let at = 0; at < packets.length; at += 4096) {
    engine.add(batchOf(packets.slice(at, at + 4096)));
    if (at === 0) engine.tick(50);
  }
  const records = [...engine.activeRecords(), ...engine.endedRecords()];
  assert.ok(engine.history.count >= 1_000, `ended ${engine.history.count}`);
  for (const sort of ["bytes", "packets"] as const) {
    const value = (r: (typeof records)[number]) =>
      sort === "bytes" ? r.bytes_c2s + r.bytes_s2c : r.packets_c2s + r.packets_s2c;
    for (const order of ["asc", "desc"] as const) {
      const sign = order === "asc" ? 1 : -1;
      const expected = [...records].sort((a, b) => sign * (value(a) - value(b)) || a.id - b.id)
        .map((r) => r.id);
      for (const offset of [0, 1, 37, 4_999, 15_000, 30_950]) {
        const page = engine.query({ sort, order, limit: 50, offset });
        assert.deepEqual(
          page.flows.map((f) => f.id),
          expected.slice(offset, offset + 50),
          `${sort} ${order} offset ${offset}`,
        );
      }
    }
  }
});

Deno.test("the sampled bound keeps every row when the sample guessed too low", () => {
  const n = 100_000;
  const k = 2_000;
  const stride = n / 1024;
  const sampled = new Set(Array.from({ length: 1024 }, (_, i) => Math.floor(i * stride)));
  // Every sampled row is small, every other row large: the sample says the k smallest are all
  // small, but only 1,024 rows are.
  const vals = Float64Array.from({ length: n }, (_, i) => (sampled.has(i) ? 0 : 1));
  const sel = Int32Array.from({ length: n }, (_, i) => i);
  assert.equal(keepBelowSample(vals, sel, n, k), n);
  assert.equal(vals.reduce((a, b) => a + b, 0), n - 1024, "rows only reordered");
  assert.deepEqual([...sel].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  // Spread values: a few times k rows kept, and they hold the k smallest.
  const spread = Float64Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const kept = keepBelowSample(spread, rows, n, k);
  assert.ok(kept >= k && kept < 4 * k, `kept ${kept}`);
  const smallest = [...spread].sort((a, b) => a - b).slice(0, k);
  const front = [...spread.subarray(0, kept)].sort((a, b) => a - b).slice(0, k);
  assert.deepEqual(front, smallest);
});
