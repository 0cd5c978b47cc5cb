// Tests for the host table: per-direction totals, windows, rates, top talkers, eviction.

import assert from "node:assert/strict";
import { hostStats, topHostStats } from "./host_views.ts";
import { HostTable } from "./hosts.ts";
import { batchOf, type TestPacket } from "../tests/helpers/packets.ts";

function add(hosts: HostTable, packets: TestPacket[]): void {
  const batch = batchOf(packets);
  for (let i = 0; i < batch.count; i++) {
    hosts.addPacket(batch, i, batch.wireLen[i]);
  }
}

const T0 = 1_700_000_040; // a whole minute (1_700_000_040 / 60 = 28_333_334)

Deno.test("top() sorts hosts by bytes sent and received over a window", () => {
  const hosts = new HostTable(100);
  add(hosts, [
    { ts: T0, src: "10.0.0.1", dst: "10.0.0.2", len: 1000 },
    { ts: T0 + 1, src: "10.0.0.2", dst: "10.0.0.1", len: 300 },
    { ts: T0 + 2, src: "2001:db8::3", dst: "2001:db8::1", len: 5000 },
  ]);
  const top = topHostStats(hosts, T0 + 3, 1, 10);
  assert.deepEqual(top.map((h) => [h.address, h.bytes_sent, h.bytes_received]), [
    ["2001:db8::1", 0, 5000],
    ["2001:db8::3", 5000, 0],
    ["10.0.0.1", 1000, 300],
    ["10.0.0.2", 300, 1000],
  ]);
  assert.deepEqual(topHostStats(hosts, T0 + 3, 1, 1, "packets", "received").map((h) => h.address), [
    "10.0.0.1",
  ]);
});

Deno.test("a window of W minutes covers the current minute and the W before it", () => {
  const hosts = new HostTable(10);
  add(hosts, [
    { ts: T0, src: "10.0.0.1", dst: "10.0.0.2", len: 100 }, // minute m
    { ts: T0 + 60 * 3, src: "10.0.0.1", dst: "10.0.0.2", len: 200 }, // m + 3
    { ts: T0 + 60 * 10, src: "10.0.0.1", dst: "10.0.0.2", len: 400 }, // m + 10
  ]);
  const now = T0 + 60 * 10 + 30;
  const sent = (w: 1 | 5 | 15 | 60) => hostStats(hosts, "10.0.0.1", now, w)!.bytes_sent;
  assert.deepEqual([sent(1), sent(5), sent(15), sent(60)], [400, 400, 700, 700]);
  // An hour later nothing is left in any window, but the host is still known.
  assert.equal(hostStats(hosts, "10.0.0.1", now + 3700, 60)!.bytes_sent, 0);
});

Deno.test("minute buckets wrap around an hour without leaking old traffic", () => {
  const hosts = new HostTable(10);
  for (let m = 0; m < 130; m++) {
    add(hosts, [{ ts: T0 + 60 * m, src: "10.0.0.1", dst: "10.0.0.2", len: m }]);
  }
  const now = T0 + 60 * 129;
  const h = hostStats(hosts, "10.0.0.1", now, 60)!;
  let want = 0;
  for (let m = 129 - 60; m <= 129; m++) want += m;
  assert.equal(h.bytes_sent, want);
  assert.equal(h.packets_sent, 61);
});

Deno.test("the current rate averages the last full seconds", () => {
  const hosts = new HostTable(10);
  add(hosts, [
    { ts: T0 + 0.5, src: "10.0.0.1", dst: "10.0.0.2", len: 300 },
    { ts: T0 + 1.5, src: "10.0.0.1", dst: "10.0.0.2", len: 600 },
    { ts: T0 + 2.5, src: "10.0.0.1", dst: "10.0.0.2", len: 900 },
    { ts: T0 + 3.5, src: "10.0.0.1", dst: "10.0.0.2", len: 5000 }, // the current second
  ]);
  const h = hostStats(hosts, "10.0.0.1", T0 + 3.6, 1)!;
  assert.equal(h.rate_sent, (300 + 600 + 900) / 3);
  assert.equal(hostStats(hosts, "10.0.0.2", T0 + 3.6, 1)!.rate_received, 600);
});

Deno.test("topHostStats() by rate keeps the hosts a sort of every host's current rate gives, busiest first", () => {
  const hosts = new HostTable(4096);
  let seed = 5;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const packets: TestPacket[] = [];
  // 2,000 hosts over 6 seconds, some quiet in the last three (rate 0), some tied.
  for (let i = 0; i < 6000; i++) {
    const a = Math.floor(random() * 2000);
    packets.push({
      ts: T0 + Math.floor(i / 1000) + 0.5,
      src: `10.0.${a >> 8}.${a & 255}`,
      dst: "192.0.2.1",
      len: 60 * (1 + Math.floor(random() * 4)),
    });
  }
  add(hosts, packets);
  const now = T0 + 6.2;
  for (const direction of ["total", "sent", "received"] as const) {
    const rate = (h: { rate_sent: number; rate_received: number }) =>
      direction === "sent"
        ? h.rate_sent
        : direction === "received"
        ? h.rate_received
        : h.rate_sent + h.rate_received;
    const every = topHostStats(hosts, now, 1, 5000).filter((h) => rate(h) > 0);
    const key = (a: string) => a.split(/[.:]/).map((x) => x.padStart(5, "0")).join(".");
    const want = every.sort((a, b) =>
      rate(b) - rate(a) || (key(a.address) < key(b.address) ? -1 : 1)
    )
      .slice(0, 25);
    const got = topHostStats(hosts, now, 1, 25, "rate", direction);
    assert.deepEqual(
      got.map((h) => [h.address, rate(h)]),
      want.map((h) => [h.address, rate(h)]),
      direction,
    );
  }
});

Deno.test("a full host table evicts the least recently seen host and counts it", () => {
  const hosts = new HostTable(3);
  add(hosts, [
    { ts: T0, src: "10.0.0.1", dst: "10.0.0.2" },
    { ts: T0 + 1, src: "10.0.0.3", dst: "10.0.0.1" },
    { ts: T0 + 2, src: "10.0.0.4", dst: "10.0.0.1" }, // 10.0.0.2 is the least recent
  ]);
  assert.equal(hosts.evicted, 1);
  assert.equal(hosts.count, 3);
  assert.equal(hostStats(hosts, "10.0.0.2", T0 + 2, 1), undefined);
  assert.equal(hostStats(hosts, "10.0.0.1", T0 + 2, 1)!.packets_received, 2);
});

Deno.test("hosts stay findable while the table grows, its index doubles and it evicts", () => {
  const hosts = new HostTable(3000, 16);
  const address = (n: number) => `10.0.${n >> 8}.${n & 255}`;
  const packets = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => ({
      ts: T0,
      src: address(from + k),
      dst: "192.168.0.1",
      len: 100,
    }));
  add(hosts, packets(0, 5000));
  // 5,001 hosts seen; the server is seen on every packet, so the oldest 2,001 clients went.
  assert.equal(hosts.count, 3000);
  assert.equal(hosts.evicted, 2001);
  add(hosts, packets(4000, 5000)); // known hosts: found, not added again
  assert.equal(hosts.count, 3000);
  assert.equal(hosts.evicted, 2001);
  const top = topHostStats(hosts, T0 + 1, 1, 5000);
  assert.equal(top.length, 3000);
  const sent = new Map(top.map((h) => [h.address, h.bytes_sent]));
  for (let n = 2001; n < 5000; n++) assert.equal(sent.get(address(n)), n >= 4000 ? 200 : 100);
  assert.equal(sent.get(address(2000)), undefined);
});

Deno.test("minute buckets written before the table grows keep their minutes after it", () => {
  const hosts = new HostTable(64, 4);
  add(hosts, [
    { ts: T0, src: "10.0.0.1", dst: "10.0.0.2", len: 100 },
    { ts: T0 + 60, src: "10.0.0.1", dst: "10.0.0.2", len: 200 },
    { ts: T0 + 120, src: "10.0.0.1", dst: "10.0.0.2", len: 300 },
  ]);
  // 60 more hosts in the third minute: the table doubles from 4 slots to 64.
  add(
    hosts,
    Array.from({ length: 30 }, (_, k) => ({
      ts: T0 + 121,
      src: `10.1.0.${k}`,
      dst: `10.2.0.${k}`,
      len: 10 + k,
    })),
  );
  assert.equal(hosts.capacity, 64);
  const at = (address: string, window: 1 | 5) => hostStats(hosts, address, T0 + 122, window);
  assert.equal(at("10.0.0.1", 5)?.bytes_sent, 600);
  assert.equal(at("10.0.0.1", 1)?.bytes_sent, 500, "the second and third minutes");
  assert.equal(at("10.0.0.2", 5)?.packets_received, 3);
  assert.equal(at("10.1.0.29", 1)?.bytes_sent, 39);
  assert.equal(at("10.2.0.7", 1)?.bytes_received, 17);
});

Deno.test("traffic out of time order still counts in its own minute and second", () => {
  const hosts = new HostTable(10);
  add(hosts, [
    { ts: T0 + 125, src: "10.0.0.1", dst: "10.0.0.2", len: 100 }, // minute m + 2, first seen
    { ts: T0 + 124, src: "10.0.0.1", dst: "10.0.0.2", len: 20 }, // a second late
    { ts: T0 + 70, src: "10.0.0.1", dst: "10.0.0.2", len: 300 }, // minute m + 1, before the first
    { ts: T0 + 110, src: "10.0.0.1", dst: "10.0.0.2", len: 7 }, // too late for the rate
  ]);
  const at = (window: 1 | 5) => hostStats(hosts, "10.0.0.1", T0 + 126, window);
  assert.equal(at(1)?.bytes_sent, 427, "minutes m + 1 and m + 2");
  assert.equal(at(5)?.bytes_sent, 427);
  // The rate covers seconds +123 to +125: the packet at +124 is in it, the one at +110 is not.
  assert.equal(at(1)?.rate_sent, 120 / 3);
  assert.equal(at(1)?.packets_sent, 4);
});

Deno.test("hostStats() finds any of thousands of hosts by its address, and only hosts held", () => {
  const hosts = new HostTable(20_000);
  const packets: TestPacket[] = [];
  for (let n = 0; n < 5_000; n++) {
    const v4 = `10.${(n >> 8) & 255}.${n & 255}.1`;
    packets.push({ ts: T0, src: v4, dst: "10.255.255.254", len: 100 + n });
    packets.push({
      ts: T0,
      src: "2001:db8::ffff",
      dst: `2001:db8::${n.toString(16)}`,
      len: 100 + n,
    });
  }
  add(hosts, packets);
  // Every one is found (the merge of shards asks for thousands at once), with its own bytes.
  for (let n = 0; n < 5_000; n += 97) {
    const v4 = hostStats(hosts, `10.${(n >> 8) & 255}.${n & 255}.1`, T0 + 1, 1);
    const v6 = hostStats(hosts, `2001:db8::${n.toString(16)}`, T0 + 1, 1);
    assert.deepEqual([v4?.bytes_sent, v6?.bytes_received], [100 + n, 100 + n]);
  }
  // By the address, not by its text: any spelling of it finds the host.
  assert.equal(hostStats(hosts, "2001:0DB8:0::0005", T0 + 1, 1)?.bytes_received, 105);
  // The same words as another version, an absent host and text that is no address: none.
  assert.equal(hostStats(hosts, "::a00:1", T0 + 1, 1), undefined);
  assert.equal(hostStats(hosts, "10.99.0.1", T0 + 1, 1), undefined);
  assert.equal(hostStats(hosts, "not an address", T0 + 1, 1), undefined);
});
