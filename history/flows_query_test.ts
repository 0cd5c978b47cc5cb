// flows(): stored flows come back exactly, and every filter, sort and page agrees with a plain
// JavaScript reference of the /flows semantics (flows/query.ts).

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { protoName, protoNumber } from "../flows/flow_record.ts";
import { parsePrefix } from "../flows/query_filter.ts";
import { addressWordsOf } from "../flows/address_parse.ts";
import { mulberry32 } from "../tests/helpers/random.ts";
import { HistoryStore } from "./history_store.ts";
import { currentHours } from "./hour_tops.ts";
import { TOP_PER_MINUTE } from "./schema.ts";
import type { FlowsQuery, StoredFlow } from "./types.ts";

const T0 = 1_700_000_000;
const STATES = ["SF", "S0", "REJ", "RSTO", "OTH"];
const SERVICES = ["https", "dns", "ssh", null];

function randomFlows(count: number, seed: number): StoredFlow[] {
  const rand = mulberry32(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const flows: StoredFlow[] = [];
  for (let i = 0; i < count; i++) {
    const proto = pick(["tcp", "udp", "icmp", "icmpv6", "gre"]);
    const v6 = proto === "icmpv6" || rand() < 0.2;
    const address = (net: number) =>
      v6
        ? `2001:db8:${net}::${Math.floor(rand() * 65535).toString(16)}`
        : `10.${net}.${Math.floor(rand() * 4)}.${Math.floor(rand() * 256)}`;
    // A few flows end in the same microsecond, to share rowid milliseconds.
    const last = i % 50 < 5 ? T0 + 3000.5 : T0 + Math.round(rand() * 7200e6) / 1e6;
    const first = Math.round((last - rand() ** 3 * 600) * 1e6) / 1e6;
    const packets = Math.floor(rand() * 100);
    flows.push({
      id: 1000 + i,
      active: false,
      proto,
      src_ip: address(1),
      src_port: Math.floor(rand() * 65536),
      dst_ip: address(2),
      dst_port: pick([443, 53, 22, 8443, 0]),
      vlan: rand() < 0.1 ? 42 : null,
      packets_c2s: packets,
      bytes_c2s: packets * 77,
      packets_s2c: i % 7,
      bytes_s2c: (i % 7) * 1400 + (i % 3 === 0 ? 500 : 0),
      first_ts: first,
      last_ts: last,
      state: pick(STATES),
      service: pick(SERVICES),
      no_ports: rand() < 0.05,
      aggregate: rand() < 0.02,
      rate_now: 0,
      server_name: rand() < 0.3 ? pick(["www.YouTube.com", "api.example.org"]) : null,
      app: rand() < 0.3 ? pick(["TLS.YouTube", "DNS"]) : null,
      tunnel: rand() < 0.05 ? "vxlan" : null,
      end_reason: pick(["idle", "fin", "active"]),
    });
  }
  return flows;
}

function inPrefix(address: string, cidr: string): boolean {
  const p = parsePrefix(cidr);
  const a = addressWordsOf(address)!;
  return a.v6 === p.v6 && [0, 1, 2, 3].every((w) => ((a.words[w] & p.mask[w]) >>> 0) === p.net[w]);
}

const us = (t: number) => Math.round(t * 1e6);

/** The sort value flows/query.ts uses. */
function sortValue(f: StoredFlow, sort: string): number {
  const dur = (us(f.last_ts) - us(f.first_ts)) / 1e6;
  const bytes = f.bytes_c2s + f.bytes_s2c;
  switch (sort) {
    case "bytes":
      return bytes;
    case "packets":
      return f.packets_c2s + f.packets_s2c;
    case "duration":
      return dur;
    case "first":
      return us(f.first_ts) / 1e6;
    case "rate":
      return bytes / Math.max(1, dur);
    case "rate_now":
      return 0;
    default:
      return us(f.last_ts) / 1e6;
  }
}

/** The /flows semantics in plain JavaScript. */
function reference(flows: StoredFlow[], q: FlowsQuery): StoredFlow[] {
  const icmp = (f: StoredFlow) => f.proto === "icmp" || f.proto === "icmpv6";
  const text = (q.text ?? "").toLowerCase();
  const keep = flows.filter((f) =>
    q.active !== true &&
    (q.from === undefined || f.last_ts >= q.from) &&
    (q.to === undefined || f.first_ts <= q.to) &&
    (q.endedBefore === undefined || f.last_ts < q.endedBefore) &&
    (q.proto === undefined || protoNumber(f.proto) === protoNumber(String(q.proto))) &&
    (q.vlan === undefined || f.vlan === q.vlan) &&
    (q.service === undefined || f.service === q.service) &&
    (q.state === undefined || f.state === q.state.toUpperCase()) &&
    (q.minBytes === undefined || f.bytes_c2s + f.bytes_s2c >= q.minBytes) &&
    (q.port === undefined || (!icmp(f) && (f.src_port === q.port || f.dst_port === q.port))) &&
    (q.serverPort === undefined || (!icmp(f) && f.dst_port === q.serverPort)) &&
    (!q.address || inPrefix(f.src_ip, q.address) || inPrefix(f.dst_ip, q.address)) &&
    (!q.client || inPrefix(f.src_ip, q.client)) &&
    (!q.server || inPrefix(f.dst_ip, q.server)) &&
    (text === "" ||
      (f.service ?? "").includes(text) ||
      protoName(protoNumber(f.proto)).includes(text) ||
      (/^\d{1,5}$/.test(text) && !icmp(f) &&
        (String(f.src_port).includes(text) || String(f.dst_port).includes(text))) ||
      (/^[0-9a-f.:]+$/.test(text) && (f.src_ip.includes(text) || f.dst_ip.includes(text))) ||
      (f.server_name ?? "").toLowerCase().includes(text) ||
      (f.app ?? "").toLowerCase().includes(text))
  );
  const sign = q.order === "asc" ? 1 : -1;
  const sort = q.sort ?? "last";
  return keep.sort((a, b) => sign * sortValue(a, sort) - sign * sortValue(b, sort) || a.id - b.id);
}

function storeWith(flows: StoredFlow[]): HistoryStore {
  const opened = HistoryStore.open({ path: `${Deno.makeTempDirSync()}/h.db`, capBytes: 1e9 });
  if (!opened.store) throw new Error(opened.error);
  for (let i = 0; i < flows.length; i += 500) {
    opened.store.addFlows(flows.slice(i, i + 500));
    opened.store.commit(T0);
  }
  return opened.store;
}

const FLOWS = randomFlows(3000, 7);

Deno.test("flows() gives back each stored flow exactly", () => {
  const store = storeWith(FLOWS);
  const page = store.query({
    kind: "flows",
    query: { limit: 10_000, sort: "first", order: "asc" },
  });
  assert.equal(page.total, FLOWS.length);
  const byId = new Map(page.flows.map((f) => [f.id, f]));
  for (const flow of FLOWS) assert.deepEqual(byId.get(flow.id), flow);
  store.close();
});

Deno.test("flows() filters, sorts and pages as the /flows reference does", () => {
  const store = storeWith(FLOWS);
  const queries: FlowsQuery[] = [
    {},
    { sort: "bytes" },
    { sort: "packets", order: "asc" },
    { sort: "duration" },
    { sort: "first", order: "asc" },
    { sort: "rate" },
    { sort: "rate_now" },
    { order: "asc" },
    { from: T0 + 1000, to: T0 + 2000 },
    { to: T0 + 600, sort: "bytes" },
    { endedBefore: T0 + 3000.5 },
    { proto: "udp" },
    { proto: 47 },
    { vlan: 42 },
    { service: "ssh", sort: "rate" },
    { state: "rej" },
    { minBytes: 5000 },
    { port: 443 },
    { serverPort: 53 },
    { address: "10.1.2.0/24" },
    { client: "2001:db8:1::/48", sort: "bytes" },
    { server: "10.2.0.0/16", proto: "tcp" },
    { text: "youtube" },
    { text: "10.2.3" },
    { text: "44" },
    { text: "icmp" },
    { active: true },
    { active: false, minBytes: 100, sort: "bytes", order: "asc" },
  ];
  for (const q of queries) {
    const want = reference(FLOWS, q).map((f) => f.id);
    const label = JSON.stringify(q);
    // Every page, by cursor, 97 rows at a time.
    const got: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = store.query({ kind: "flows", query: { ...q, limit: 97, cursor } });
      assert.equal(page.total, want.length, label);
      got.push(...page.flows.map((f) => f.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    assert.deepEqual(got, want, label);
    const slice = store.query({
      kind: "flows",
      query: { ...q, offset: 11, limit: 5, withValues: true },
    });
    assert.deepEqual(slice.flows.map((f) => f.id), want.slice(11, 16), `${label} offset`);
    const sign = q.order === "asc" ? 1 : -1;
    assert.deepEqual(
      slice.values,
      // flows/query.ts gives ended records a rate_now of 0, not -0.
      slice.flows.map((f) => sign * sortValue(f, q.sort ?? "last") || 0),
      `${label} values`,
    );
  }
  store.close();
});

Deno.test("flows() keeps exact end order when more than 2048 flows end in one millisecond", () => {
  const burst = randomFlows(2600, 3).map((f, i) => ({
    ...f,
    first_ts: T0 + 10,
    last_ts: T0 + 20 + (i % 3) / 1e6,
  }));
  const store = storeWith(burst);
  for (const order of ["asc", "desc"] as const) {
    const want = reference(burst, { order }).map((f) => f.id);
    const got: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = store.query({ kind: "flows", query: { order, limit: 500, cursor } });
      got.push(...page.flows.map((f) => f.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    assert.deepEqual(got, want, order);
  }
  const all = store.query({ kind: "flows", query: { limit: 10_000 } }).flows;
  assert.ok(all.every((f) => f.last_ts >= T0 + 20 && f.last_ts < T0 + 20.001));
  store.close();
});

Deno.test("flows() refuses what /flows refuses, with its messages", () => {
  const store = storeWith(FLOWS.slice(0, 10));
  const bad: [FlowsQuery, RegExp][] = [
    [{ sort: "size" as never }, /Invalid sort "size"/],
    [{ order: "up" as never }, /Invalid order/],
    [{ limit: 0 }, /Invalid limit "0"/],
    [{ offset: -1 }, /Invalid offset/],
    [{ address: "10.0.0.0/33" }, /Invalid prefix length/],
    [{ service: "nope" }, /Unknown service "nope"/],
    [{ state: "XX" }, /Unknown state/],
    [{ proto: "bogus" }, /Unknown protocol/],
    [{ cursor: "!!" }, /Invalid cursor/],
    [{ cursor: btoa("bytes|desc|5|1"), sort: "last" }, /was made for sort=bytes/],
  ];
  for (const [q, message] of bad) {
    assert.throws(() => store.query({ kind: "flows", query: q }), message, JSON.stringify(q));
  }
  store.close();
});

Deno.test("flows() by bytes and totals over ranges of full minutes agree with the reference", () => {
  // 400 flows a minute for 12 minutes, more than flow_top keeps a minute (TOP_PER_MINUTE), with
  // byte counts that tie often; a flood's equal flows; long flows crossing range ends.
  const flows = randomFlows(4800, 11).map((f, i) => ({
    ...f,
    last_ts: T0 + 6000 + Math.floor(i / 400) * 60 + (i % 400) * 0.149,
    first_ts: T0 + 6000 + Math.floor(i / 400) * 60 + (i % 400) * 0.149 - (i % 9 === 0 ? 200 : 1),
  }));
  // The flood: 900 one-packet flows over three minutes after the rest, a few of them bigger.
  const FLOOD = T0 + 9000;
  for (let i = 0; i < 900; i++) {
    flows.push({
      ...flows[i],
      id: 90_000 + ((i * 7919) % 900),
      last_ts: FLOOD + i * 0.2,
      first_ts: FLOOD + i * 0.2 - 0.5,
      packets_c2s: 1,
      bytes_c2s: i % 97 === 0 ? 1500 : 60,
      packets_s2c: 0,
      bytes_s2c: 0,
    });
  }
  const store = storeWith(flows);
  const rand = mulberry32(5);
  const check = (q: FlowsQuery) => {
    const want = reference(flows, q).map((f) => f.id);
    const page = store.query({ kind: "flows", query: q });
    const label = JSON.stringify(q);
    assert.equal(page.total, want.length, `${label} total`);
    const offset = q.offset ?? 0;
    assert.deepEqual(page.flows.map((f) => f.id), want.slice(offset, offset + q.limit!), label);
  };
  for (let i = 0; i < 60; i++) {
    const from = T0 + 5900 + Math.floor(rand() * 900) + (i % 3 === 0 ? rand() : 0);
    const to = from + Math.floor(rand() * 800) + (i % 4 === 0 ? 0.0005 : 0);
    const limit = [1, 20, 50, 127][i % 4];
    const offset = i % 5 === 0 ? TOP_PER_MINUTE - limit - 1 : i % 7 === 0 ? 300 : 0;
    check({ sort: "bytes", from, to, limit, offset });
    check({ sort: "last", from, to, limit: 10 });
    check({ sort: "bytes", endedBefore: to, limit });
  }
  // The flood's minutes: the page's edge falls among hundreds of equal flows, in minutes whose
  // flow_top is full of them.
  for (const [from, to] of [[FLOOD - 60, FLOOD + 200], [FLOOD + 5, FLOOD + 170]]) {
    check({ sort: "bytes", from, to, limit: 120 });
    check({ sort: "bytes", from, to, limit: 20, offset: 100 });
  }
  check({ sort: "bytes", limit: 100 });
  store.close();
  // Retention by age removes whole minutes, with their counts and tops; a late flow into a
  // removed minute is counted and ranked afresh.
  const path = store.path;
  const aged = HistoryStore.open({ path, capBytes: 1e9, maxAgeSec: 3600 }).store!;
  const cutoff = T0 + 6000 + 190.5;
  aged.commit(cutoff + 3600);
  const boundary = Math.ceil(cutoff / 60) * 60;
  let kept = flows.filter((f) => f.last_ts >= boundary);
  assert.ok(kept.length < flows.length && kept.length > 0);
  const late = {
    ...flows[7],
    id: 99_999,
    last_ts: boundary - 30,
    first_ts: boundary - 31,
    bytes_c2s: 1e9,
  };
  aged.addFlows([late]);
  aged.commit(cutoff + 3601);
  kept = [...kept, late];
  for (
    const q of [
      { sort: "bytes" as const, limit: 50 },
      { sort: "bytes" as const, from: boundary - 60, to: boundary + 200, limit: 30 },
      { from: boundary - 120, to: boundary + 60, limit: 5 },
    ]
  ) {
    const want = reference(kept, q).map((f) => f.id);
    const page = aged.query({ kind: "flows", query: q });
    assert.equal(page.total, want.length, JSON.stringify(q));
    assert.deepEqual(page.flows.map((f) => f.id), want.slice(0, q.limit), JSON.stringify(q));
  }
  aged.close();
});

Deno.test("a version 1 database gains flow_minute and flow_top equal to what the writer keeps", () => {
  // 700 flows a minute: past TOP_PER_MINUTE, so the backfill's ranking is what is compared.
  const flows = randomFlows(2800, 13).map((f, i) => ({
    ...f,
    last_ts: T0 + 600 + i * (60 / 700),
    first_ts: T0 + 600 + i * (60 / 700) - 1,
  }));
  const store = storeWith(flows);
  const table = (db: typeof store.db, sql: string) => JSON.stringify(db.prepare(sql).all());
  const tops = "SELECT m, bytes, rid FROM flow_top ORDER BY m, bytes, rid";
  const minutes = "SELECT m, flows FROM flow_minute ORDER BY m";
  const kept = [table(store.db, tops), table(store.db, minutes)];
  assert.ok(store.db.prepare("SELECT count(*) AS n FROM flow_top").get()!.n as number < 2800);
  // Back to what version 1 wrote: no per-minute or per-hour tables, no index of long flows.
  const path = store.path;
  store.close();
  const raw = new DatabaseSync(path);
  raw.exec(`
    DROP TRIGGER flow_counted; DROP TABLE flow_minute; DROP TABLE flow_top; DROP INDEX flow_long;
    DROP TABLE flow_top_hour; DROP TABLE flow_hour;
    UPDATE meta SET value = 1 WHERE key = 'schema_version';`);
  raw.close();
  const again = HistoryStore.open({ path, capBytes: 1e9 }).store!;
  assert.deepEqual([table(again.db, tops), table(again.db, minutes)], kept);
  const q = { sort: "bytes" as const, from: T0 + 630, to: T0 + 800, limit: 40 };
  const page = again.query({ kind: "flows", query: q });
  assert.deepEqual(page.flows.map((f) => f.id), reference(flows, q).slice(0, 40).map((f) => f.id));
  again.close();
});

Deno.test("flows() by bytes over hours agrees with the reference: hour tops, stale hours, cuts", () => {
  const H0 = Math.ceil(T0 / 3600) * 3600;
  // Three hours and a quarter at 300 flows a minute (full minute and hour tops, frequent ties),
  // the third hour with a flood of equal one-packet flows on top.
  const flows = randomFlows(58_500, 17).map((f, i) => ({
    ...f,
    last_ts: H0 + 0.5 + i * 0.2,
    first_ts: H0 + 0.5 + i * 0.2 - (i % 50 === 0 ? 300 : 2),
  }));
  for (let i = 0; i < 6000; i++) {
    flows.push({
      ...flows[i],
      id: 200_000 + i,
      last_ts: H0 + 7200 + i * 0.6,
      first_ts: H0 + 7200 + i * 0.6 - 0.1,
      packets_c2s: 1,
      bytes_c2s: 60,
      packets_s2c: 0,
      bytes_s2c: 0,
    });
  }
  // Hour 5: nothing but 900 equal flows, 300 of them in one minute, so the page's edge value
  // is the hour's smallest and that minute's; one flow in hour 6 settles hour 5.
  for (let i = 0; i < 900; i++) {
    const last = i < 600 ? H0 + 18_000 + i * 6 : H0 + 19_800 + (i - 600) * 0.15;
    flows.push({
      ...flows[i],
      id: 400_000 + ((i * 7919) % 900),
      last_ts: last,
      first_ts: last - 1,
      packets_c2s: 1,
      bytes_c2s: 60,
      packets_s2c: 0,
      bytes_s2c: 0,
    });
  }
  flows.push({ ...flows[0], id: 500_000, last_ts: H0 + 22_500, first_ts: H0 + 22_499 });
  const store = storeWith(flows);
  assert.ok(store.buildHourTops(100) >= 4);
  assert.deepEqual(
    currentHours(store.db, H0 / 3600, H0 / 3600 + 6),
    [0, 1, 2, 3, 5].map((h) => H0 / 3600 + h),
  );
  const check = (all: StoredFlow[], q: FlowsQuery, label: string) => {
    const want = reference(all, q).map((f) => f.id);
    const page = store.query({ kind: "flows", query: q });
    assert.equal(page.total, want.length, `${label} ${JSON.stringify(q)} total`);
    const offset = q.offset ?? 0;
    assert.deepEqual(
      page.flows.map((f) => f.id),
      want.slice(offset, offset + q.limit!),
      `${label} ${JSON.stringify(q)}`,
    );
  };
  const ranges = [
    [H0 - 600, H0 + 4 * 3600],
    [H0 + 1800.25, H0 + 3 * 3600 + 120],
    [H0 + 3600, H0 + 7200],
    [H0 + 7000, H0 + 10_800],
    [H0 + 7200, H0 + 10_800],
    [H0 + 18_000, H0 + 21_600],
    [H0 + 17_000, H0 + 22_000],
  ];
  const pages = [{ limit: 50 }, { limit: 50, offset: 200 }, { limit: 20, offset: 230 }];
  for (const [from, to] of ranges) {
    for (const p of pages) check(flows, { sort: "bytes", from, to, ...p }, "built");
  }
  // A late flow in the first hour: that hour reads by minutes until it is built again.
  const late = { ...flows[5], id: 300_000, last_ts: H0 + 100, first_ts: H0 + 99, bytes_c2s: 5e9 };
  store.addFlows([late]);
  store.commit(T0);
  const withLate = [...flows, late];
  assert.ok(!currentHours(store.db, H0 / 3600, H0 / 3600 + 1).length);
  for (const [from, to] of ranges) check(withLate, { sort: "bytes", from, to, limit: 50 }, "late");
  assert.equal(store.buildHourTops(100), 1);
  for (const [from, to] of ranges) {
    for (const p of pages) check(withLate, { sort: "bytes", from, to, ...p }, "rebuilt");
  }
  const path = store.path;
  store.close();
  // Retention by age takes the first hour and a half; the half-cut hour is built again from
  // the minutes left (the same commit builds it).
  const aged = HistoryStore.open({ path, capBytes: 1e9, maxAgeSec: 3600 }).store!;
  const cutoff = H0 + 5400;
  aged.commit(cutoff + 3600);
  const kept = withLate.filter((f) => f.last_ts >= cutoff);
  const hour1 = aged.db.prepare("SELECT flows FROM flow_hour WHERE h = ?").get(H0 / 3600 + 1);
  assert.equal(hour1?.flows, kept.filter((f) => f.last_ts < H0 + 7200).length);
  assert.deepEqual(
    currentHours(aged.db, H0 / 3600, H0 / 3600 + 4),
    [1, 2, 3].map((h) => H0 / 3600 + h),
  );
  const q = { sort: "bytes" as const, from: H0, to: H0 + 4 * 3600, limit: 50 };
  const want = reference(kept, q).map((f) => f.id);
  assert.deepEqual(
    aged.query({ kind: "flows", query: q }).flows.map((f) => f.id),
    want.slice(0, 50),
  );
  aged.close();
});
