// Tests for the shared page rules: defaults, bad values, and cursors that round-trip.

import assert from "node:assert/strict";
import { checkPage, decodeCursor, encodeCursor, MAX_LIMIT } from "./flow_paging.ts";
import { SORT_KEYS } from "./sort_keys.ts";

Deno.test("checkPage() fills in last, desc, offset 0 and limit 100", () => {
  assert.deepEqual(checkPage({}), { sort: "last", order: "desc", sign: -1, offset: 0, limit: 100 });
  assert.equal(checkPage({ order: "asc" }).sign, 1);
});

Deno.test("checkPage() accepts every sort key and names the bad value it refuses", () => {
  for (const sort of SORT_KEYS) assert.equal(checkPage({ sort }).sort, sort);
  assert.throws(() => checkPage({ sort: "size" }), /Invalid sort "size": expected bytes, packets/);
  assert.throws(() => checkPage({ order: "up" }), /Invalid order "up"/);
  assert.throws(() => checkPage({ limit: 0 }), RangeError);
  assert.throws(() => checkPage({ limit: MAX_LIMIT + 1 }), /Invalid limit/);
  assert.throws(() => checkPage({ offset: -1 }), /Invalid offset "-1"/);
  assert.throws(() => checkPage({ offset: 1.5 }), RangeError);
});

Deno.test("decodeCursor() reads what encodeCursor() wrote, for that sort and order only", () => {
  const cursor = encodeCursor("bytes", "desc", -1234.5, 42);
  assert.deepEqual(decodeCursor(cursor, "bytes", "desc"), [-1234.5, 42]);
  assert.throws(() => decodeCursor(cursor, "bytes", "asc"), /was made for sort=bytes&order=desc/);
  assert.throws(() => decodeCursor(cursor, "last", "desc"), /was made for sort=bytes/);
  assert.throws(() => decodeCursor("@@", "bytes", "desc"), /Invalid cursor "@@"/);
  assert.throws(() => decodeCursor(btoa("bytes|desc|x|1"), "bytes", "desc"), /Invalid cursor/);
});
