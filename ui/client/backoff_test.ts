// Tests of the stream's reconnect delays.

import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";

Deno.test("backoffDelay() doubles from the base and stops at the cap", () => {
  const middle = () => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10, 1000].map((n) => backoffDelay(n, DEFAULT_BACKOFF, middle)),
    [500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
});

Deno.test("backoffDelay() spreads delays by the jitter", () => {
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 750);
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999999), 1250);
});
