// Tests for the per-second and per-minute traffic rings.

import assert from "node:assert/strict";
import { L4Class, TimeSeries, TrafficRing } from "./time_series.ts";
import { serviceByName } from "./services.ts";

const T0 = 1_700_000_000;

Deno.test("the per-second ring wraps after an hour and forgets what it overwrote", () => {
  const series = new TimeSeries();
  for (let s = 0; s < 5000; s++) series.addPacket(T0 + s + 0.5, 100, L4Class.Tcp, 0);
  const now = T0 + 4999;
  const points = series.points("seconds", now, 3600);
  assert.equal(points.length, 3600);
  assert.equal(points[0].t, now - 3599);
  assert.ok(points.every((p) => p.packets === 1 && p.bytes === 100));
  // Asking for more than an hour still returns only what the ring holds.
  assert.equal(series.totals(now, 3600).packets, 3600);
  // The minute ring has every minute of the 5000 s.
  assert.equal(series.totals(now, 86_400).packets, 5000);
});

Deno.test("seconds with no traffic read as zero, even after the ring wrapped", () => {
  const series = new TimeSeries();
  series.addPacket(T0, 100, L4Class.Udp, 0);
  series.addPacket(T0 + 3600 + 5, 100, L4Class.Udp, 0); // same slot as T0 + 5
  const points = series.points("seconds", T0 + 3600 + 10, 20);
  assert.deepEqual(points.map((p) => p.packets).filter((p) => p > 0), [1]);
  assert.equal(points.find((p) => p.packets > 0)!.t, T0 + 3605);
});

Deno.test("totals() breaks traffic down by protocol class and service", () => {
  const series = new TimeSeries();
  const https = serviceByName("https");
  series.addPacket(T0, 1000, L4Class.Tcp, https);
  series.addPacket(T0 + 1, 500, L4Class.Tcp, https);
  series.addPacket(T0 + 2, 80, L4Class.Udp, serviceByName("dns"));
  series.addPacket(T0 + 3, 60, L4Class.NonFlow, 0);
  series.addDrops(T0 + 3, 7);
  const t = series.totals(T0 + 3, 60);
  assert.deepEqual([t.packets, t.bytes, t.dropped], [4, 1640, 7]);
  assert.deepEqual(t.protocols.tcp, { packets: 2, bytes: 1500 });
  assert.deepEqual(t.protocols.non_flow, { packets: 1, bytes: 60 });
  assert.deepEqual(t.services.map((s) => [s.service, s.bytes]), [
    ["https", 1500],
    ["dns", 80],
    ["other", 60],
  ]);
  // A one-second window holds only the current second.
  assert.equal(series.totals(T0 + 3, 1).packets, 1);
});

Deno.test("packets older than the ring are counted as late, not added", () => {
  const ring = new TrafficRing(1, 10);
  ring.addTraffic(T0 + 20, 1, 1, L4Class.Tcp, 0);
  ring.addTraffic(T0 + 10, 1, 1, L4Class.Tcp, 0); // same slot, older period
  assert.equal(ring.late, 1);
  assert.equal(ring.packets[ring.slotOf(T0 + 20)], 1);
});

Deno.test("appTotals() over a few seconds counts those seconds, not the minute so far", () => {
  const series = new TimeSeries();
  const tls = series.appColumn(1025);
  for (let t = 1_000_020; t < 1_000_050; t++) series.addApp(t, 1, 1000, tls); // 30 s of 1 kB/s
  const now = series.appTotals(1_000_049, 3);
  assert.deepEqual(now, [{ code: 1025, packets: 3, bytes: 3000 }]);
  const minute = series.appTotals(1_000_049, 60);
  assert.equal(minute[0].bytes, 30_000, "a minute's window still reads the minute ring");
});

Deno.test("app traffic a day late is late, even right after traffic of the same second", () => {
  const series = new TimeSeries();
  const tls = series.appColumn(1025);
  const t = 1_000_020;
  series.addApp(t, 1, 100, tls);
  // A day later the minute ring reuses that minute's slot for the new day.
  series.addTraffic(t + 86_400, 1, 60, L4Class.Tcp, 0);
  series.addApp(t, 1, 50, tls); // the same second as the first: late now
  assert.deepEqual(series.appTotals(t + 86_400, 60), [], "nothing of the old day in the new");
  assert.equal(series.minutes.late, 1);
  series.addApp(t + 86_400, 1, 70, tls);
  assert.deepEqual(series.appTotals(t + 86_400, 60), [{ code: 1025, packets: 1, bytes: 70 }]);
});
