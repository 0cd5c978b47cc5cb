// Tests of the time axis's tick spacing: round figures whose labels fit the width.

import assert from "node:assert/strict";
import { tickStep } from "./throughput_chart.ts";

Deno.test("tickStep() spaces labels so that they fit, in round clock figures", () => {
  // A phone's plot (~250 px) over a minute has room for three HH:MM:SS labels: every 30 s.
  assert.equal(tickStep(60, 250), 30);
  assert.equal(tickStep(60, 1000), 5);
  assert.equal(tickStep(3600, 250), 900);
  assert.equal(tickStep(7 * 86400, 700), 86400);
  for (const [span, width] of [[20, 200], [900, 300], [86400, 320], [30 * 86400, 250]]) {
    const step = tickStep(span, width);
    assert.ok(span / step * 56 <= width || step === 604800, `${span} s over ${width} px: ${step}`);
  }
});
