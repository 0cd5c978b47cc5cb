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

Deno.test("LoginThrottle: guesses from many addresses share one bucket; a new address still tries", () => {
  let now = 0;
  const lines: string[] = [];
  const throttle = new LoginThrottle({ clock: () => now, log: (l) => lines.push(l) });
  // 100 addresses, one wrong token each: the shared bucket (10 bursts, 50) runs out at the 50th.
  let allowed = 0;
  for (let i = 0; i < 100; i++) {
    const address = `198.51.100.${i + 1}`;
    if (throttle.retryAfter(address) === 0) allowed++;
    throttle.failed(address);
  }
  assert.equal(allowed, 100, "each address's first try is its own");
  // Their second tries wait for the shared bucket, a second from now at the default rate.
  assert.equal(throttle.retryAfter("198.51.100.1"), 1);
  assert.equal(throttle.retryAfter("198.51.100.100"), 1);
  assert.equal(
    throttle.retryAfter("192.0.2.200"),
    0,
    "an address that has not guessed is not slowed",
  );
  assert.ok(lines.some((l) => /^netwatch: 50 wrong tokens from 50 addresses; slowing/.test(l)));
  // One shared guess a second: 60 s later, 60 of the 100 addresses got one more try, not 6,000.
  let tries = 0;
  for (let s = 0; s < 60; s++) {
    now += 1000;
    for (let i = 0; i < 100; i++) {
      const address = `198.51.100.${i + 1}`;
      if (throttle.retryAfter(address) === 0) {
        tries++;
        throttle.failed(address);
      }
    }
  }
  assert.equal(tries, 60);
  // Ten quiet minutes later they are ordinary addresses again.
  now += 10 * 60_000;
  assert.equal(throttle.retryAfter("198.51.100.1"), 0);
});
