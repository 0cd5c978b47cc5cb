// ExportQueue: bounded, keeps the oldest, counts drops, and loses nothing on a failed send.

import assert from "node:assert/strict";
import { ExportQueue } from "./export_queue.ts";

Deno.test("ExportQueue drops and counts what does not fit, keeping the oldest", () => {
  const queue = new ExportQueue<number>(3);
  for (let i = 1; i <= 5; i++) queue.push(i);
  assert.equal(queue.length, 3);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.accepted, 3);
  assert.deepEqual(queue.peek(10), [1, 2, 3]);
});

Deno.test("ExportQueue peek() leaves items for a retry; discard() removes them", () => {
  const queue = new ExportQueue<number>(4);
  for (let i = 1; i <= 4; i++) queue.push(i);
  assert.deepEqual(queue.peek(2), [1, 2]);
  assert.deepEqual(queue.peek(2), [1, 2], "a failed send sees the same batch again");
  queue.discard(2);
  queue.push(5);
  queue.push(6); // wraps around the ring
  assert.equal(queue.push(7), false);
  assert.deepEqual(queue.peek(10), [3, 4, 5, 6]);
  queue.discard(10);
  assert.equal(queue.length, 0);
  assert.deepEqual(queue.peek(1), []);
  assert.equal(queue.dropped, 1);
});

Deno.test("ExportQueue refuses a capacity that is not a positive integer", () => {
  assert.throws(() => new ExportQueue(0), RangeError);
  assert.throws(() => new ExportQueue(1.5), RangeError);
});
