// Tests of the chart's point buffer.

import assert from "node:assert/strict";
import { ThroughputBuffer } from "./throughput_buffer.ts";

Deno.test("ThroughputBuffer.push() appends only points after the last one", () => {
  const b = new ThroughputBuffer();
  b.replace([10, 11], [800, 1600], [1, 2]);
  assert.equal(b.push(11, 5, 5), false);
  assert.equal(b.push(12.5, 2400, 3), true);
  assert.deepEqual(b.latest(), { x: 12.5, bps: 2400, pps: 3 });
  assert.equal(b.livePoints, 1);
  assert.deepEqual(b.bps.map((p) => p.x), [10, 11, 12.5]);
});

Deno.test("ThroughputBuffer.trim() drops points older than the range", () => {
  const b = new ThroughputBuffer();
  b.replace([1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]);
  b.trim(3);
  assert.deepEqual(b.pps.map((p) => p.y), [3, 4]);
  b.trim(10);
  assert.equal(b.latest(), null);
});
