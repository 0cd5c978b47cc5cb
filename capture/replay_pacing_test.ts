// ReplayPacer: packet due times at a speed, long gaps skipped once counted, bounded sleeps.

import assert from "node:assert/strict";
import {
  MAX_GAP_MS,
  MAX_SLEEP_STEP_MS,
  ReplayPacer,
  skipNotice,
  sleepStep,
} from "./replay_pacing.ts";

Deno.test("ReplayPacer.due() spaces packets by their gaps over the speed", () => {
  const pacer = new ReplayPacer(2);
  assert.equal(pacer.due(100, 5000), 5000);
  assert.equal(pacer.due(101, 5000), 5500);
  assert.equal(pacer.due(103, 5600), 6500);
  assert.equal(pacer.skipped, 0);
});

Deno.test("ReplayPacer.due() skips a gap of months and keeps the pace after it", () => {
  const pacer = new ReplayPacer(1);
  pacer.due(1_000, 0);
  pacer.due(1_001, 0);
  const tenMonths = 27_000_000;
  // Due right after the previous packet, not in ten months.
  assert.equal(pacer.due(1_001 + tenMonths, 2_000), 1000);
  assert.equal(pacer.due(1_003 + tenMonths, 2_000), 3000);
  assert.equal(pacer.skipped, 1);
  assert.deepEqual(pacer.firstSkip, { captureSec: tenMonths, packet: 2 });
  assert.match(skipNotice(pacer.firstSkip!), /skips silences longer than 10 s .*312\.5 days/);
  // A gap just under the bound is waited out; one just over it is skipped.
  assert.equal(pacer.due(1_003 + tenMonths + MAX_GAP_MS / 1000, 0), 3000 + MAX_GAP_MS);
  pacer.due(1_004 + tenMonths + 2 * MAX_GAP_MS / 1000, 0);
  assert.equal(pacer.skipped, 2);
});

Deno.test("ReplayPacer.due() measures gaps in wall time: slow replays skip sooner", () => {
  const pacer = new ReplayPacer(0.001);
  pacer.due(0, 0);
  assert.equal(pacer.due(0.005, 0), 5000); // 5 ms of capture is 5 s of wall time
  assert.equal(pacer.due(0.020, 0), 5000); // 15 s of wall time: skipped
  assert.equal(pacer.skipped, 1);
});

Deno.test("ReplayPacer.due() sends packets that go back in time at once", () => {
  const pacer = new ReplayPacer(1);
  pacer.due(50, 1000);
  pacer.due(52, 1000);
  assert.ok(pacer.due(40, 3000) <= 3000);
  assert.equal(pacer.skipped, 0);
});

Deno.test("ReplayPacer refuses speeds outside the accepted range", () => {
  for (const speed of [0, -1, 1e-308, NaN, Infinity, 2e6]) {
    assert.throws(() => new ReplayPacer(speed), RangeError, String(speed));
  }
});

Deno.test("sleepStep() never sleeps longer than one step or less than zero", () => {
  assert.equal(sleepStep(1e15, 0), MAX_SLEEP_STEP_MS);
  assert.equal(sleepStep(250, 0), 250);
  assert.equal(sleepStep(0, 250), 0);
});
