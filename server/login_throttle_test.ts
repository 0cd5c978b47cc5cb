// LoginThrottle: a burst of wrong tokens, then one a second, per address; logged once a minute.

import assert from "node:assert/strict";
import { LoginThrottle } from "./login_throttle.ts";

Deno.test("LoginThrottle lets a few wrong tokens through, then one a second", () => {
  let now = 0;
  const lines: string[] = [];
  const throttle = new LoginThrottle({ clock: () => now, log: (l) => lines.push(l) });
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.retryAfter("192.0.2.1"), 0, `try ${i}`);
    throttle.failed("192.0.2.1");
  }
  assert.equal(throttle.retryAfter("192.0.2.1"), 1);
  assert.equal(throttle.retryAfter("192.0.2.2"), 0, "other addresses are not slowed");
  now += 1000;
  assert.equal(throttle.retryAfter("192.0.2.1"), 0);
  throttle.failed("192.0.2.1");
  assert.equal(throttle.retryAfter("192.0.2.1"), 1);
  assert.equal(lines.length, 1, "one line per address per minute");
  assert.match(lines[0], /^netwatch: 5 wrong tokens from 192\.0\.2\.1; slowing it/);
  for (let i = 0; i < 100; i++) {
    now += 1000;
    throttle.failed("192.0.2.1");
  }
  assert.equal(lines.length, 2);
});

Deno.test("LoginThrottle with rate 0 never slows anyone", () => {
  const throttle = new LoginThrottle({ rate: 0, log: () => assert.fail("logged") });
  for (let i = 0; i < 100; i++) throttle.failed("192.0.2.1");
  assert.equal(throttle.retryAfter("192.0.2.1"), 0);
});
