// seriesView(): ranges, steps, downsampling and breakdowns over a synthetic time series.

import assert from "node:assert/strict";
import { MAX_POINTS, seriesView } from "./series_view.ts";
import { sampleMonitor } from "../tests/helpers/local_monitor.ts";

const T0 = 1_700_000_000;

Deno.test("seriesView() sums the traffic of every second into its point", () => {
  const m = sampleMonitor(T0);
  const s = seriesView(m.engine.series, T0 + 3, { metric: "pps", from: T0 - 10, to: T0 + 3 });
  assert.equal(s.step, 1);
  assert.equal(s.t.length, 14);
  assert.equal(s.series[0].values.reduce((a, b) => a + b, 0), m.counters.packets);
  const coarse = seriesView(m.engine.series, T0 + 3, {
    metric: "bps",
    from: T0 - 10,
    to: T0 + 3,
    step: 10,
  });
  assert.equal(coarse.step, 10);
  assert.equal(coarse.series[0].values.reduce((a, b) => a + b, 0) * 10 / 8, m.counters.bytes);
});

Deno.test("seriesView() breaks down by protocol class and by seen services only", () => {
  const m = sampleMonitor(T0);
  const p = seriesView(m.engine.series, T0 + 3, { metric: "pps", breakdown: "protocol", from: T0 });
  assert.deepEqual(p.series.map((x) => x.name), ["tcp", "udp", "icmp", "other", "non_flow"]);
  const sum = (name: string) =>
    p.series.find((x) => x.name === name)!.values.reduce((a, b) => a + b, 0);
  assert.equal(sum("tcp"), m.counters.tcp);
  assert.equal(sum("icmp"), m.counters.icmp);
  const svc = seriesView(m.engine.series, T0 + 3, { breakdown: "service", from: T0 });
  assert.ok(svc.series.some((x) => x.name === "https"));
  assert.ok(!svc.series.some((x) => x.name === "kafka"));
});

Deno.test("seriesView() uses minutes for old ranges and refuses too many points", () => {
  const m = sampleMonitor(T0);
  const old = seriesView(m.engine.series, T0 + 7200, { from: T0 - 60, to: T0 + 7200 });
  assert.equal(old.step, 60);
  // A step too small for the range is refused, naming it; none given, one that fits is taken.
  assert.throws(
    () => seriesView(m.engine.series, T0, { from: 0, to: T0, step: 60 }),
    /step "60": expected at least \d+/,
  );
  const all = seriesView(m.engine.series, T0, { from: 0, to: T0 });
  assert.ok(all.t.length <= MAX_POINTS && all.t.length > MAX_POINTS / 2, `${all.t.length}`);
  assert.equal(all.step % 60, 0);
  assert.throws(() => seriesView(m.engine.series, T0, { from: T0, to: T0 - 1 }), /from/);
});
