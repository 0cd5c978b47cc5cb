// Waker: a wake() ends the pending sleep or wait at once; without one, the sleep runs out.

import assert from "node:assert/strict";
import { Waker } from "./waker.ts";

Deno.test("Waker.wake() ends a long sleep and a wait", async () => {
  const waker = new Waker();
  let woke = false;
  const sleeping = waker.sleep(60_000).then(() => (woke = true));
  await Promise.resolve();
  assert.equal(woke, false);
  waker.wake();
  await sleeping;
  assert.equal(woke, true);
  const waiting = waker.wait();
  waker.wake();
  await waiting;
});

Deno.test("Waker.sleep() resolves on its own, and a later wake() is harmless", async () => {
  const waker = new Waker();
  await waker.sleep(1);
  waker.wake();
  waker.wake();
});
