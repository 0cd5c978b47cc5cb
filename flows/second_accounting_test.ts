// Tests for per-flow current rates (rate_now): finished seconds only, at the flow's true rate.

import assert from "node:assert/strict";
import { FlowEngine } from "./flow_engine.ts";
import { batchOf, type TestPacket } from "../tests/helpers/packets.ts";

/** One UDP flow sending `bytesPerSecond` in ten packets a second from `from` to `to` (s). */
function steady(from: number, to: number, bytesPerSecond: number): TestPacket[] {
  const out: TestPacket[] = [];
  for (let t = from; t < to; t += 0.1) {
    out.push({
      ts: Math.round(t * 10) / 10,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: 17,
      sport: 5000,
      dport: 9000,
      len: bytesPerSecond / 10,
    });
  }
  return out;
}

/** rate_now of the first flow (from 10.0.0.1). */
function rateNow(engine: FlowEngine): number {
  const [flow] = engine.query({ sort: "first", order: "asc", limit: 1 }).flows;
  return flow.rate_now;
}

Deno.test("rate_now of a steady flow is its rate, in the middle of a second and at its end", () => {
  const engine = new FlowEngine();
  // 10 s at 125,000 B/s (rate_now is in bytes per second); the last packet is at 1009.9 s, inside second 1009.
  engine.add(batchOf(steady(1000, 1010, 125_000)));
  assert.equal(rateNow(engine), 125_000, "while the flow sends in the current second");
  // The next second starts with nothing from this flow: the three finished seconds count.
  engine.add(
    batchOf([{
      ts: 1010.5,
      src: "10.0.0.8",
      dst: "10.0.0.9",
      proto: 17,
      sport: 1,
      dport: 2,
      len: 60,
    }]),
  );
  assert.equal(rateNow(engine), 125_000, "after its last second finished");
});

Deno.test("rate_now of a flow that went quiet falls to 0 as its seconds leave the window", () => {
  const engine = new FlowEngine();
  engine.add(batchOf(steady(1000, 1005, 125_000)));
  const other = (ts: number): TestPacket => ({
    ts,
    src: "10.0.0.8",
    dst: "10.0.0.9",
    proto: 17,
    sport: 1,
    dport: 2,
    len: 60,
  });
  engine.add(batchOf([other(1006.5)])); // finished: 1003, 1004, 1005 (quiet)
  assert.equal(rateNow(engine), Math.round(2 * 125_000 / 3 * 10) / 10);
  engine.add(batchOf([other(1008.5)])); // finished: 1005, 1006, 1007: all quiet
  const quiet = engine.query({ sort: "first", order: "asc", limit: 1 }).flows;
  assert.deepEqual(quiet.map((f) => f.rate_now), [0]);
});

Deno.test("rate_now falls to 0 on a quiet link: the monitor's clock moves on without packets", () => {
  const engine = new FlowEngine();
  engine.add(batchOf(steady(1000, 1005, 125_000)));
  const page = (nowSec?: number) =>
    engine.query({ sort: "first", order: "asc", limit: 1 }, nowSec).flows[0];
  // No packet came after 1004.9: by the engine's own clock the flow still sends.
  assert.equal(page().rate_now, 125_000);
  // By the monitor's (wall) clock, 10 s later: its seconds left the window long ago.
  assert.equal(page(1015).rate_now, 0);
  assert.equal(engine.flowById(page().id, 1015)?.rate_now, 0);
  assert.equal(engine.flowById(page().id)?.rate_now, 125_000);
});
