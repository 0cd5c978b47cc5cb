import assert from "node:assert/strict";
import { ReplayPacer } from "./replay_pacing.ts";

Deno.test("ReplayPacer keeps the capture's spacing at the given speed", () => {
  const pacer = new ReplayPacer(2);
  assert.equal(pacer.due(100, 5000), 5000);
  assert.equal(pacer.due(101, 5000), 5500);
  assert.equal(pacer.due(104, 5600), 7000);
});

Deno.test("ReplayPacer skips a long gap, says so once, and keeps spacing after it", () => {
  const notes: string[] = [];
  const pacer = new ReplayPacer(1, (m) => notes.push(m));
  pacer.due(0, 1000);
  // Ten months later in the capture: due now, not in ten months.
  assert.equal(pacer.due(26_000_000, 1200), 1200);
  assert.equal(pacer.due(26_000_001, 1200), 2200);
  pacer.due(52_000_000, 3000);
  assert.equal(pacer.skipped, 2);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /skipping a gap of 300\.9 days/);
});

Deno.test("ReplayPacer sends packets whose time goes backwards at once, in order", () => {
  const pacer = new ReplayPacer(1);
  pacer.due(10, 0);
  assert.equal(pacer.due(12, 0), 2000);
  assert.equal(pacer.due(11, 0), 2000);
});

Deno.test("ReplayPacer refuses speeds it cannot pace", () => {
  for (const speed of [0, -1, NaN, Infinity]) {
    assert.throws(() => new ReplayPacer(speed), RangeError);
  }
});
