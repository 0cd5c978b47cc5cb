// ConnectionGuard on fake sockets and a fake clock: the cap, eviction and the timeouts.

import assert from "node:assert/strict";
import { ConnectionGuard, descriptorReserve, type GuardedSocket } from "./connection_guard.ts";

class FakeSocket implements GuardedSocket {
  destroyed = false;
  writeStalledSince = 0;
  #onClose: (() => void)[] = [];
  end(): void {}
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const listener of this.#onClose) listener();
  }
  once(_event: "close", listener: () => void): void {
    this.#onClose.push(listener);
  }
}

function setup(limits = {}) {
  let now = 1_000_000;
  const guard = new ConnectionGuard({ maxConnections: 3, ...limits }, () => now);
  return { guard, advance: (ms: number) => (now += ms), now: () => now };
}

Deno.test("ConnectionGuard refuses past the cap while every connection is fresh", () => {
  const { guard } = setup();
  const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  for (const s of sockets) assert.ok(guard.admit(s));
  assert.ok(guard.full);
  assert.equal(guard.admit(new FakeSocket()), false);
  assert.equal(guard.stats().connections_refused, 1);
  assert.equal(guard.stats().connections, 3);
  assert.match(guard.refusal(), /^HTTP\/1\.1 503 [^]*"code":"too_many_connections"/);
});

Deno.test("ConnectionGuard makes room by closing the longest-idle connection", () => {
  const { guard, advance } = setup();
  const [a, b, c] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  guard.admit(a);
  advance(500);
  guard.admit(b);
  guard.admit(c);
  guard.requestStarted(b); // busy: never evicted
  advance(1500);
  const d = new FakeSocket();
  assert.ok(guard.admit(d));
  assert.ok(a.destroyed && !b.destroyed && !c.destroyed);
  assert.equal(guard.stats().connections_evicted, 1);
  // c has waited 1.5 s too, but d has not: the next one evicts c, then nothing is old enough.
  assert.ok(guard.admit(new FakeSocket()));
  assert.ok(c.destroyed);
  assert.equal(guard.admit(new FakeSocket()), false);
});

Deno.test("ConnectionGuard times out silent, idle and stuck connections", () => {
  const { guard, advance, now } = setup({
    maxConnections: 10,
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 5_000,
    requestTimeoutMs: 60_000,
  });
  const silent = new FakeSocket();
  const kept = new FakeSocket();
  const stuck = new FakeSocket();
  const stream = new FakeSocket();
  for (const s of [silent, kept, stuck, stream]) guard.admit(s);
  guard.requestStarted(kept);
  guard.requestEnded(kept);
  guard.requestStarted(stuck);
  guard.upgraded(stream);
  advance(6000);
  guard.sweep(now());
  assert.deepEqual([silent, kept, stuck, stream].map((s) => s.destroyed), [
    false,
    true,
    false,
    false,
  ]);
  advance(5000);
  guard.sweep(now());
  assert.ok(silent.destroyed && !stuck.destroyed);
  advance(60_000);
  guard.sweep(now());
  assert.ok(stuck.destroyed && !stream.destroyed);
  // The kept-alive one closing is ordinary; the silent and the stuck ones timed out.
  assert.equal(guard.stats().connections_timed_out, 2);
  assert.equal(guard.stats().connections, 1);
});

Deno.test("descriptorReserve() keeps an eighth of the limit free, within bounds", () => {
  assert.equal(descriptorReserve(1024), 128);
  assert.equal(descriptorReserve(64), 32);
  assert.equal(descriptorReserve(1 << 20), 256);
});

Deno.test("ConnectionGuard evicts a request whose body never comes to make room", () => {
  const { guard, advance } = setup({ headerTimeoutMs: 10_000, requestTimeoutMs: 60_000 });
  const [a, b, c] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  for (const s of [a, b, c]) {
    guard.admit(s);
    guard.requestStarted(s);
  }
  guard.receiving(a); // declared a body, sent none: waiting on its client, like a missing head
  guard.receiving(b);
  guard.received(b); // its body arrived: busy answering, never evicted
  advance(1500);
  assert.ok(guard.admit(new FakeSocket()));
  assert.ok(a.destroyed && !b.destroyed && !c.destroyed);
});

Deno.test("ConnectionGuard times out a body still not in, and not one drained", () => {
  const { guard, advance, now } = setup({ maxConnections: 10, headerTimeoutMs: 10_000 });
  const d = new FakeSocket();
  guard.admit(d);
  guard.requestStarted(d);
  guard.receiving(d);
  guard.requestEnded(d); // answered before its body (a 413, say): still receiving
  guard.sweep(now() + 10_001);
  assert.ok(d.destroyed, "a body still not in after the head timeout");
  assert.equal(guard.stats().connections_timed_out, 1);

  const e = new FakeSocket();
  advance(20_000);
  guard.admit(e);
  guard.requestStarted(e);
  guard.receiving(e);
  guard.requestEnded(e);
  guard.received(e); // the unread body drained: an idle kept-alive connection again
  guard.sweep(now() + 4_000);
  assert.ok(!e.destroyed);
});

Deno.test("ConnectionGuard evicts, then times out, a busy connection whose answer goes unread", () => {
  const { guard, advance, now } = setup({ maxConnections: 2, headerTimeoutMs: 10_000 });
  const [reader, stalled] = [new FakeSocket(), new FakeSocket()];
  for (const s of [reader, stalled]) {
    guard.admit(s);
    guard.requestStarted(s);
  }
  stalled.writeStalledSince = now(); // its answer waits for a client that does not read
  advance(500);
  assert.equal(guard.admit(new FakeSocket()), false, "evicted before it stalled a second");
  advance(1000);
  const next = new FakeSocket();
  assert.ok(guard.admit(next));
  assert.ok(stalled.destroyed && !reader.destroyed);

  const other = new FakeSocket();
  guard.requestStarted(next);
  next.writeStalledSince = now();
  guard.sweep(now() + 9_000);
  assert.ok(!next.destroyed, "closed before the head timeout");
  guard.sweep(now() + 10_001);
  assert.ok(next.destroyed && !reader.destroyed && !other.destroyed);
  assert.equal(guard.stats().connections_timed_out, 1);
});

Deno.test("ConnectionGuard counts a connection closed for pipelining too deep, and frees its slot", () => {
  const { guard } = setup();
  const [a, b] = [new FakeSocket(), new FakeSocket()];
  guard.admit(a);
  guard.admit(b);
  guard.requestStarted(a);
  guard.overrun(a);
  assert.ok(a.destroyed && !b.destroyed);
  assert.deepEqual(
    [
      guard.stats().connections_overrun,
      guard.stats().connections,
      guard.stats().connections_timed_out,
    ],
    [1, 1, 0],
  );
});
