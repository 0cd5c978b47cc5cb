// canonicalIp() gives every spelling of an address one text.

import assert from "node:assert/strict";
import { canonicalIp } from "./canonical_ip.ts";

Deno.test("canonicalIp() expands IPv6 and leaves IPv4 alone", () => {
  assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalIp("FD00::1"), "fd00:0000:0000:0000:0000:0000:0000:0001");
  assert.equal(canonicalIp("::"), "0000:0000:0000:0000:0000:0000:0000:0000");
  assert.equal(canonicalIp("::ffff:192.0.2.1"), "0000:0000:0000:0000:0000:ffff:c000:0201");
  assert.equal(canonicalIp("2001:db8:0:0:0:0:0:1"), canonicalIp("2001:db8::1"));
});

Deno.test("canonicalIp() refuses text that is not eight groups", () => {
  assert.throws(() => canonicalIp("1:2:3"), SyntaxError);
  assert.throws(
    () => canonicalIp("1:2:3:4:5:6:7:8:9"),
    /Cannot parse IPv6 address "1:2:3:4:5:6:7:8:9"/,
  );
});
