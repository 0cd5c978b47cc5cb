// Tests of what a view's range means at a moment: live spans, finished steps, custom spans.

import assert from "node:assert/strict";
import { rangeBounds, stepFor, stepLabel } from "./range_bounds.ts";
import { DEFAULT_VIEW, withRange, withSpan } from "./view_state.ts";

const NOW = 1_700_000_000.4; // the server's clock: second 1_700_000_000 is still running

Deno.test("rangeBounds() of a live range ends at the last finished second, at 1 s", () => {
  const five = rangeBounds(withRange({ ...DEFAULT_VIEW }, "5m"), NOW);
  assert.deepEqual(five, { live: true, from: 1_700_000_000 - 300, to: 1_699_999_999, step: 1 });
  const hour = rangeBounds({ ...DEFAULT_VIEW }, NOW);
  assert.equal(hour.live, true);
  assert.equal(hour.to, 1_699_999_999);
  // Inside the per-second ring (3600 s up to now), with room for a clock a little off.
  assert.ok(hour.from > 1_700_000_000 - 3600 && hour.from < 1_700_000_000 - 3500);
});

Deno.test("rangeBounds() of a past range ends at the last finished step", () => {
  const six = rangeBounds(withRange({ ...DEFAULT_VIEW }, "6h"), NOW);
  assert.equal(six.live, false);
  assert.equal(six.step, 60);
  assert.equal((six.to + 1) % 60, 0, "ends where a minute ends");
  assert.ok(six.to <= 1_699_999_999 && six.to > 1_699_999_999 - 60);
  assert.equal(six.to - six.from + 1, 6 * 3600);
  const week = rangeBounds(withRange({ ...DEFAULT_VIEW }, "7d"), NOW);
  assert.equal(week.step, 300);
  assert.equal((week.to + 1) % 300, 0);
  assert.equal(rangeBounds(withRange({ ...DEFAULT_VIEW }, "30d"), NOW).step, 3600);
});

Deno.test("rangeBounds() of a custom span keeps it, up to the last finished second", () => {
  const span = withSpan({ ...DEFAULT_VIEW }, 1_699_999_000, 1_699_999_100);
  assert.deepEqual(rangeBounds(span, NOW), {
    live: false,
    from: 1_699_999_000,
    to: 1_699_999_100,
    step: 1,
  });
  const reachingNow = withSpan({ ...DEFAULT_VIEW }, 1_699_999_990, 1_700_000_100);
  assert.equal(rangeBounds(reachingNow, NOW).to, 1_699_999_999);
});

Deno.test("stepFor() picks the finest resolution the API has within the point budget", () => {
  assert.equal(stepFor(0, 1799), 1);
  assert.equal(stepFor(0, 3 * 3600), 60);
  assert.equal(stepFor(0, 7 * 86400), 300);
  assert.equal(stepFor(0, 90 * 86400), 3600);
  assert.deepEqual([1, 60, 300, 3600].map(stepLabel), ["1 s", "1 min", "5 min", "1 h"]);
});
