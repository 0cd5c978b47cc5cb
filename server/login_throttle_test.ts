// LoginThrottle: a burst of wrong tokens, then one a second, per address; logged once a minute.

import assert from "node:assert/strict";
import { clientOf, LoginThrottle } from "./login_throttle.ts";

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

Deno.test("an IPv6 client is its /64: addresses inside one share a bucket, IPv4-mapped ones are IPv4", () => {
  assert.equal(clientOf("2001:db8:1:2::17"), "2001:db8:1:2::/64");
  assert.equal(clientOf("[2001:db8:1:2:aaaa::9]"), "2001:db8:1:2::/64");
  assert.equal(clientOf("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(clientOf("192.0.2.7"), "192.0.2.7");
  const lines: string[] = [];
  const t = new LoginThrottle({ rate: 1, clock: () => 1000, log: (l) => lines.push(l) });
  // A host walking through its /64 spends one burst, not one per address.
  for (let i = 1; i <= 5; i++) t.failed(`2001:db8:1:2::${i.toString(16)}`);
  assert.ok(t.retryAfter("2001:db8:1:2::ffff") > 0);
  assert.equal(t.retryAfter("2001:db8:1:3::1"), 0, "the next /64 is another client");
  assert.match(lines[0], /from 2001:db8:1:2::\/64/);
});
