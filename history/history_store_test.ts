// HistoryStore: minutes in, series/talkers/protocols out with exact totals and the right tier.

import assert from "node:assert/strict";
import { hostAddress } from "./address_blob.ts";
import { HistoryStore } from "./history_store.ts";
import type { HostMinute, MinuteTotals } from "./types.ts";

/** Hour-aligned start of the test data. */
const T0 = 1_700_000_000 - (1_700_000_000 % 3600);

function openStore(options: { hostsPerInterval?: number; capBytes?: number } = {}) {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/netwatch.db`;
  const opened = HistoryStore.open({ path, capBytes: options.capBytes ?? 1e9, ...options });
  if (!opened.store) throw new Error(opened.error);
  return { store: opened.store, path, dir };
}

/** Minute i's totals: tcp carries i+1 kB, udp 100 B, and one app. */
function minute(i: number): MinuteTotals {
  const tcp = { packets: i + 1, bytes: (i + 1) * 1000 };
  const udp = { packets: 1, bytes: 100 };
  return {
    minute: T0 + i * 60,
    packets: tcp.packets + udp.packets,
    bytes: tcp.bytes + udp.bytes,
    dropped: i % 10 === 0 ? 2 : 0,
    protocols: { tcp, udp, icmp: { packets: 0, bytes: 0 } },
    services: { https: tcp, dns: udp },
    apps: { "TLS.YouTube": tcp },
  };
}

/** Minute i's hosts: host k (of 4) sends (k + 1) * (i + 1) bytes; the rest is "other". */
function hosts(i: number): HostMinute[] {
  const rows: HostMinute[] = [];
  for (let k = 0; k < 4; k++) {
    rows.push({
      minute: T0 + i * 60,
      address: `10.0.0.${k + 1}`,
      name: k === 0 ? "router.lan" : null,
      country: null,
      asn: k === 3 ? 64500 : null,
      bytes_sent: (k + 1) * (i + 1),
      bytes_received: i % (k + 2),
      packets_sent: k + 1,
      packets_received: 1,
    });
  }
  rows.push({
    minute: T0 + i * 60,
    address: "other",
    name: null,
    country: null,
    asn: null,
    bytes_sent: 7,
    bytes_received: 0,
    packets_sent: 1,
    packets_received: 0,
  });
  return rows;
}

/** Writes `count` minutes from T0 and commits. */
function fill(store: HistoryStore, count: number): void {
  for (let i = 0; i < count; i++) store.addMinute(minute(i), hosts(i));
  store.commit(T0);
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

Deno.test("series() gives back every byte and packet written, at any tier", () => {
  const { store } = openStore();
  fill(store, 180);
  const bytes = sum(Array.from({ length: 180 }, (_, i) => minute(i).bytes));
  const packets = sum(Array.from({ length: 180 }, (_, i) => minute(i).packets));
  for (const step of [60, 300, 3600]) {
    const s = store.query({ kind: "series", from: T0, to: T0 + 3 * 3600 - 1, step });
    assert.equal(s.step, step);
    assert.equal(s.tier, step === 60 ? "1m" : step === 300 ? "5m" : "1h");
    assert.equal(Math.round(sum(s.series[0].values) * step / 8), bytes, `step ${step}`);
    const pps = store.query({
      kind: "series",
      from: T0,
      to: T0 + 3 * 3600 - 1,
      step,
      metric: "pps",
    });
    assert.equal(Math.round(sum(pps.series[0].values) * step), packets);
    assert.equal(pps.unit, "packet/s");
  }
  // Minute 5 alone: (5 + 1) kB + 100 B over 60 s.
  const one = store.query({ kind: "series", from: T0 + 300, to: T0 + 300, step: 60 });
  assert.deepEqual(one.t, [T0 + 300]);
  assert.equal(one.series[0].values[0], (6000 + 100) * 8 / 60);
  store.close();
});

Deno.test("series() picks the tier and step from the range, and says which", () => {
  const { store } = openStore();
  fill(store, 10);
  const pick = (span: number, step?: number) => {
    const s = store.query({ kind: "series", from: T0, to: T0 + span, step });
    return [s.tier, s.step, s.t.length];
  };
  assert.deepEqual(pick(3600), ["1m", 60, 61]);
  assert.deepEqual(pick(86400), ["1m", 120, 721]);
  assert.deepEqual(pick(2 * 86400), ["5m", 300, 577]);
  assert.deepEqual(pick(7 * 86400), ["5m", 900, 673]);
  assert.deepEqual(pick(30 * 86400), ["1h", 3600, 721]);
  // An asked step is rounded up to whole minutes; 600 s fits 5-minute rows.
  assert.deepEqual(pick(3600, 90), ["1m", 120, 31]);
  assert.deepEqual(pick(3600, 600), ["5m", 600, 7]);
  assert.throws(
    () => store.query({ kind: "series", from: T0, to: T0 + 30 * 86400, step: 60 }),
    /Invalid step "60": expected at least 780/,
  );
  assert.throws(() => store.query({ kind: "series", from: T0 + 1, to: T0 }), /Invalid from/);
  store.close();
});

Deno.test("series() breaks down by protocol, service and app", () => {
  const { store } = openStore();
  fill(store, 60);
  const range = { kind: "series", from: T0, to: T0 + 3599, step: 3600 } as const;
  const byProto = store.query({ ...range, breakdown: "protocol" });
  assert.deepEqual(byProto.series.map((s) => s.name), ["tcp", "udp", "icmp", "other", "non_flow"]);
  const tcpBytes = sum(Array.from({ length: 60 }, (_, i) => minute(i).protocols.tcp.bytes));
  assert.equal(Math.round(byProto.series[0].values[0] * 3600 / 8), tcpBytes);
  assert.equal(Math.round(byProto.series[1].values[0] * 3600 / 8), 60 * 100);
  const byService = store.query({ ...range, breakdown: "service" });
  assert.deepEqual(byService.series.map((s) => s.name), ["https", "dns"]);
  const byApp = store.query({ ...range, breakdown: "app" });
  assert.deepEqual(byApp.series.map((s) => s.name), ["TLS.YouTube"]);
  assert.equal(Math.round(byApp.series[0].values[0] * 3600 / 8), tcpBytes);
  store.close();
});

Deno.test("protocols() sums a range exactly across hourly, 5-minute and minute rows", () => {
  const { store } = openStore();
  fill(store, 180);
  // 00:07 to 02:53: minutes 7-9, 5-minute rows to 01:00, one hourly row, and back down.
  const from = T0 + 7 * 60;
  const to = T0 + 173 * 60 - 1;
  const expect = Array.from({ length: 166 }, (_, k) => minute(k + 7));
  const p = store.query({ kind: "protocols", from, to });
  assert.equal(p.tier, "1m");
  assert.equal(p.from, from);
  assert.equal(p.to, to + 1);
  assert.equal(p.seconds, 166 * 60);
  assert.equal(p.bytes, sum(expect.map((m) => m.bytes)));
  assert.equal(p.packets, sum(expect.map((m) => m.packets)));
  assert.equal(p.dropped, sum(expect.map((m) => m.dropped)));
  assert.deepEqual(p.protocols.map((s) => s.name), ["tcp", "udp"]);
  assert.equal(p.protocols[1].bytes, 166 * 100);
  assert.deepEqual(p.services.map((s) => s.name), ["https", "dns"]);
  assert.equal(p.apps[0].bytes, sum(expect.map((m) => m.apps["TLS.YouTube"].bytes)));
  store.close();
});

Deno.test("talkers() ranks hosts over a range with the rest as other, totals exact", () => {
  const { store } = openStore();
  fill(store, 120);
  const all = Array.from({ length: 120 }, (_, i) => hosts(i)).flat();
  const total = (field: keyof HostMinute) => sum(all.map((h) => h[field] as number));
  const t = store.query({ kind: "talkers", from: T0, to: T0 + 7199, limit: 10 });
  assert.equal(t.tier, "1h");
  assert.deepEqual(t.talkers.map((h) => h.address), [
    "10.0.0.4",
    "10.0.0.3",
    "10.0.0.2",
    "10.0.0.1",
  ]);
  assert.equal(t.talkers[3].name, "router.lan");
  assert.equal(t.talkers[0].asn, 64500);
  for (
    const field of ["bytes_sent", "bytes_received", "packets_sent", "packets_received"] as const
  ) {
    assert.equal(sum(t.talkers.map((h) => h[field])) + t.other[field], total(field), field);
  }
  const host2 = all.filter((h) => h.address === "10.0.0.2");
  assert.equal(t.talkers[2].bytes_sent, sum(host2.map((h) => h.bytes_sent)));
  assert.equal(t.talkers[2].rate_sent, t.talkers[2].bytes_sent / 7200);
  const received = store.query({
    kind: "talkers",
    from: T0,
    to: T0 + 7199,
    by: "received",
    limit: 1,
  });
  const most = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].map((a) =>
    sum(all.filter((h) => h.address === a).map((h) => h.bytes_received))
  );
  assert.equal(received.talkers[0].bytes_received, Math.max(...most));
  assert.throws(
    () => store.query({ kind: "talkers", from: T0, to: T0, limit: 0 }),
    /Invalid limit/,
  );
  store.close();
});

Deno.test("roll-ups keep the top N hosts of each interval exactly and sum the rest", () => {
  const { store } = openStore({ hostsPerInterval: 2 });
  fill(store, 60);
  const all = Array.from({ length: 60 }, (_, i) => hosts(i)).flat();
  const hour = store.db.prepare(
    `SELECT h.address AS address, t.bytes_sent AS bs FROM host_traffic t
     JOIN host h ON h.id = t.host WHERE t.tier = 2`,
  ).all().map((row) => ({ address: hostAddress(row.address as Uint8Array), bs: row.bs as number }))
    .sort((a, b) => a.address.localeCompare(b.address));
  assert.deepEqual(hour.map((r) => r.address), ["10.0.0.3", "10.0.0.4", "other"]);
  const of = (address: string) =>
    sum(all.filter((h) => h.address === address).map((h) => h.bytes_sent));
  assert.equal(hour[0].bs, of("10.0.0.3"));
  assert.equal(hour[1].bs, of("10.0.0.4"));
  assert.equal(hour[2].bs, of("10.0.0.1") + of("10.0.0.2") + of("other"));
  store.close();
});

Deno.test("a minute sent in parts (one per pipeline shard) adds up, hosts re-ranked", () => {
  const { store } = openStore({ hostsPerInterval: 3 });
  const whole = minute(4);
  const half = (m: MinuteTotals, k: 0 | 1): MinuteTotals => {
    const split = (x: number) => k === 0 ? Math.floor(x / 2) : x - Math.floor(x / 2);
    const shares = (r: Record<string, { packets: number; bytes: number }>) =>
      Object.fromEntries(
        Object.entries(r).map((
          [n, v],
        ) => [n, { packets: split(v.packets), bytes: split(v.bytes) }]),
      );
    return {
      minute: m.minute,
      packets: split(m.packets),
      bytes: split(m.bytes),
      dropped: split(m.dropped),
      protocols: shares(m.protocols),
      services: shares(m.services),
      apps: shares(m.apps),
    };
  };
  // Shard 0 saw hosts 1-2, shard 1 hosts 2-4 (a host's flows can land on both).
  const rows = hosts(4);
  store.addMinute(half(whole, 0), [rows[0], rows[1]]);
  store.addMinute(half(whole, 1), [rows[1], rows[2], rows[3], rows[4]]);
  store.commit(T0);
  const p = store.query({ kind: "protocols", from: T0 + 240, to: T0 + 299 });
  assert.equal(p.bytes, whole.bytes);
  assert.equal(p.packets, whole.packets);
  assert.deepEqual(p.protocols.find((s) => s.name === "tcp"), {
    name: "tcp",
    ...whole.protocols.tcp,
  });
  const t = store.query({ kind: "talkers", from: T0 + 240, to: T0 + 299, limit: 10 });
  // 10.0.0.2 counted twice (both shards), 3 hosts kept, 10.0.0.1 folded into other.
  assert.deepEqual(
    t.talkers.map((h) => [h.address, h.bytes_sent]),
    [
      ["10.0.0.4", 20],
      ["10.0.0.3", 15],
      ["10.0.0.2", 20],
    ].sort((a, b) => (b[1] as number) - (a[1] as number)),
  );
  assert.equal(t.other.bytes_sent, rows[0].bytes_sent + rows[4].bytes_sent);
  store.close();
});

Deno.test("names() returns what was learned, widening first and last seen", () => {
  const { store } = openStore();
  store.addNames([
    { address: "192.0.2.1", name: "a.example", source: "dns", first_seen: 100, last_seen: 200 },
    { address: "192.0.2.1", name: "b.example", source: "sni", first_seen: 150, last_seen: 160 },
  ]);
  store.commit();
  store.addNames([
    { address: "192.0.2.1", name: "a.example", source: "dns", first_seen: 50, last_seen: 120 },
  ]);
  store.commit();
  const names = store.query({ kind: "names", address: "192.0.2.1" }).names;
  assert.deepEqual(names.map((n) => [n.name, n.source, n.first_seen, n.last_seen]), [
    ["a.example", "dns", 50, 200],
    ["b.example", "sni", 150, 160],
  ]);
  assert.deepEqual(store.query({ kind: "names", address: "192.0.2.9" }).names, []);
  store.close();
});

Deno.test("a restart serves everything written before, and a clean close is recorded", () => {
  const { store, path } = openStore();
  fill(store, 30);
  const before = store.query({ kind: "protocols", from: T0, to: T0 + 1799 });
  store.close();
  const again = HistoryStore.open({ path, capBytes: 1e9 });
  assert.ok(again.store, again.error ?? "");
  assert.deepEqual(again.store.query({ kind: "protocols", from: T0, to: T0 + 1799 }), before);
  assert.equal(again.store.status().written.minutes, 0);
  again.store.close();
});
