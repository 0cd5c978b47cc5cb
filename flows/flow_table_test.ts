// Tests for the flow table's hash index, growth, removal and recency lists.

import assert from "node:assert/strict";
import { hashKey, KEY_WORDS } from "./flow_key.ts";
import { FlowClass, FlowTable, flowTableBytesPerFlow } from "./flow_table.ts";

function keyOf(n: number): Uint32Array {
  const key = new Uint32Array(KEY_WORDS);
  key[0] = 17;
  key[1] = 0x0a000000 + (n % 7);
  key[5] = 0x0a010000;
  key[9] = n;
  return key;
}

Deno.test("FlowTable grows from a small capacity and finds every key after removals", () => {
  const table = new FlowTable(50_000, 16);
  const slots: number[] = [];
  for (let n = 0; n < 20_000; n++) {
    const key = keyOf(n);
    slots.push(table.insert(key, hashKey(key), FlowClass.Udp));
  }
  assert.ok(table.capacity >= 20_000 && table.capacity <= 50_000);
  // Remove every third flow: backward-shift deletion must keep the others reachable.
  for (let n = 0; n < 20_000; n += 3) table.remove(slots[n]);
  for (let n = 0; n < 20_000; n++) {
    const key = keyOf(n);
    assert.equal(table.find(key, hashKey(key)), n % 3 === 0 ? -1 : slots[n], `key ${n}`);
  }
  assert.equal(table.count, 20_000 - Math.ceil(20_000 / 3));
  // Freed slots are reused before the table grows again.
  const capacity = table.capacity;
  for (let n = 0; n < 20_000; n += 3) table.insert(keyOf(n + 1e6), hashKey(keyOf(n + 1e6)), 0);
  assert.equal(table.capacity, capacity);
});

Deno.test("FlowTable refuses to insert past maxFlows", () => {
  const table = new FlowTable(2, 1);
  table.insert(keyOf(1), hashKey(keyOf(1)), 0);
  table.insert(keyOf(2), hashKey(keyOf(2)), 0);
  assert.ok(table.full);
  assert.throws(() => table.insert(keyOf(3), hashKey(keyOf(3)), 0), RangeError);
});

Deno.test("FlowTable keeps each class in recency order and finds the least recent", () => {
  const table = new FlowTable(10);
  const a = table.insert(keyOf(1), hashKey(keyOf(1)), FlowClass.Udp);
  const b = table.insert(keyOf(2), hashKey(keyOf(2)), FlowClass.Udp);
  const c = table.insert(keyOf(3), hashKey(keyOf(3)), FlowClass.TcpOpen);
  table.store.last[a] = 5;
  table.store.last[b] = 6;
  table.store.last[c] = 4;
  assert.equal(table.heads[FlowClass.Udp], a);
  assert.equal(table.leastRecent(), c);
  table.store.last[a] = 8;
  table.touch(a, FlowClass.Udp);
  assert.equal(table.heads[FlowClass.Udp], b);
  table.touch(c, FlowClass.TcpClosed);
  assert.equal(table.heads[FlowClass.TcpOpen], -1);
  assert.equal(table.heads[FlowClass.TcpClosed], c);
});

Deno.test("a flow costs at most 128 bytes of arrays at 1M and 5M flows", () => {
  assert.ok(flowTableBytesPerFlow(1_000_000) <= 128);
  assert.ok(flowTableBytesPerFlow(5_000_000) <= 128);
});
