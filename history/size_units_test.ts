// parseSize() and parseAge(): the units users write, and clear refusals.

import assert from "node:assert/strict";
import { formatBytes, parseAge, parseSize } from "./size_units.ts";

Deno.test("parseSize() reads SI and binary units, and bare letters as binary", () => {
  assert.equal(parseSize("500MB"), 500_000_000);
  assert.equal(parseSize("500 mb"), 500_000_000);
  assert.equal(parseSize("2GiB"), 2 * 2 ** 30);
  assert.equal(parseSize("2G"), 2 * 2 ** 30);
  assert.equal(parseSize("1.5TB"), 1.5e12);
  assert.equal(parseSize("64k"), 65536);
  assert.equal(parseSize("1048576"), 1048576);
  for (const bad of ["", "MB", "-5MB", "5 MBs", "1e9", "five"]) {
    assert.throws(() => parseSize(bad), /Invalid size .*expected a number/, bad);
  }
});

Deno.test("parseAge() needs a unit: seconds to weeks", () => {
  assert.equal(parseAge("30d"), 30 * 86400);
  assert.equal(parseAge("12h"), 43200);
  assert.equal(parseAge("90m"), 5400);
  assert.equal(parseAge("2w"), 14 * 86400);
  assert.equal(parseAge("1.5d"), 129600);
  for (const bad of ["30", "d", "3 months", "-1d"]) {
    assert.throws(() => parseAge(bad), /Invalid age .*s, m, h, d, w/, bad);
  }
});

Deno.test("formatBytes() prints SI units", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(10e6), "10.0 MB");
  assert.equal(formatBytes(536870912), "536.9 MB");
});
