// Tests for the flow table: lookups through the shared index, removal, reuse and eviction.

import assert from "node:assert/strict";
import { hashKey, KEY_WORDS } from "./flow_key.ts";
import { ACTIVE_WORDS, F_LAST } from "./flow_store.ts";
import { FlowTable, flowTableBytesPerFlow } from "./flow_table.ts";

function keyOf(n: number): Uint32Array {
  const key = new Uint32Array(KEY_WORDS);
  key[0] = 17;
  key[1] = 0x0a000000 + (n % 7);
  key[5] = 0x0a010000;
  key[9] = n;
  return key;
}

Deno.test("FlowTable finds every key after removals, and reuses freed slots", () => {
  const table = new FlowTable(50_000);
  const slots: number[] = [];
  for (let n = 0; n < 20_000; n++) slots.push(table.insert(keyOf(n), hashKey(keyOf(n))));
  // Remove every third flow: backward-shift deletion must keep the others reachable.
  for (let n = 0; n < 20_000; n += 3) table.remove(slots[n]);
  for (let n = 0; n < 20_000; n++) {
    const key = keyOf(n);
    assert.equal(table.find(key, hashKey(key)), n % 3 === 0 ? -1 : slots[n], `key ${n}`);
  }
  assert.equal(table.count, 20_000 - Math.ceil(20_000 / 3));
  const used = table.slotsUsed;
  for (let n = 0; n < 20_000; n += 3) table.insert(keyOf(n + 1e6), hashKey(keyOf(n + 1e6)));
  assert.equal(table.slotsUsed, used);
  for (let n = 0; n < 20_000; n += 3) {
    assert.ok(table.find(keyOf(n + 1e6), hashKey(keyOf(n + 1e6))) >= 0);
  }
});

Deno.test("FlowTable refuses to insert past maxFlows", () => {
  const table = new FlowTable(2);
  table.insert(keyOf(1), hashKey(keyOf(1)));
  table.insert(keyOf(2), hashKey(keyOf(2)));
  assert.ok(table.full);
  assert.throws(() => table.insert(keyOf(3), hashKey(keyOf(3))), RangeError);
});

Deno.test("FlowTable.victim() picks among the least recently seen flows", () => {
  const table = new FlowTable(1000);
  const f64 = table.store.f64;
  for (let n = 0; n < 1000; n++) {
    const s = table.insert(keyOf(n), hashKey(keyOf(n)));
    f64[((s * ACTIVE_WORDS) >> 1) + F_LAST] = n;
  }
  // Over many picks the victims come from the old end: eight samples each.
  let sum = 0;
  for (let k = 0; k < 200; k++) sum += f64[((table.victim() * ACTIVE_WORDS) >> 1) + F_LAST];
  assert.ok(sum / 200 < 250, `mean victim age rank ${sum / 200}`);
});

Deno.test("a flow costs under 128 bytes of record and index", () => {
  assert.ok(flowTableBytesPerFlow() < 128, `${flowTableBytesPerFlow()}`);
});

Deno.test("hashKey gives an int32 (no heap number per packet) that uses all 32 bits", () => {
  let negative = 0;
  const homes = new Set<number>();
  for (let n = 0; n < 20_000; n++) {
    const h = hashKey(keyOf(n));
    assert.equal(h, h | 0, `key ${n}: ${h} is not an int32`);
    if (h < 0) negative++;
    homes.add((h >>> 0) >>> 28);
  }
  // The top bit is set for about half the keys, and the top four bits take every value.
  assert.ok(negative > 9_000 && negative < 11_000, `${negative} of 20,000 with the top bit set`);
  assert.equal(homes.size, 16);
});
