// StreamHub with fake sockets: scheduling, skipping for slow readers, caps and closing.

import assert from "node:assert/strict";
import { StreamHub, type StreamSocket } from "./stream_hub.ts";

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: Record<string, unknown>[] = [];
  closedWith?: number;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
}

function hub(limits = {}) {
  let packets = 0;
  const h = new StreamHub({
    snapshot: (topic, params) => ({ topic, params }),
    totals: () => ({ packets: packets += 100, bytes: packets * 10, dropped: 0 }),
  }, { tickMs: 1_000_000, ...limits });
  return h;
}

Deno.test("StreamHub sends each subscription once per interval on a shared grid", async () => {
  const h = hub();
  const s = new FakeSocket();
  const c = h.open(s);
  h.message(
    c,
    JSON.stringify({
      op: "subscribe",
      id: "a",
      topic: "flows",
      interval_ms: 100,
      params: { limit: 5 },
    }),
  );
  assert.equal(s.sent[0].type, "subscribed");
  const base = Math.ceil(Date.now() / 100) * 100 + 100;
  for (let t = base; t < base + 1000; t += 25) await h.tick(t);
  const data = s.sent.filter((m) => m.type === "data");
  assert.equal(data.length, 10);
  assert.deepEqual(data[0].data, { topic: "flows", params: { limit: 5 } });
  h.closeAll();
});

Deno.test("StreamHub skips updates while a socket is backed up, then sends the latest", async () => {
  const h = hub({ maxBufferedBytes: 1000 });
  const s = new FakeSocket();
  const c = h.open(s);
  h.message(c, JSON.stringify({ op: "subscribe", id: "r", topic: "rates", interval_ms: 100 }));
  const base = Math.ceil(Date.now() / 100) * 100 + 100;
  s.bufferedAmount = 5000;
  for (let t = base; t < base + 500; t += 100) await h.tick(t);
  assert.equal(s.sent.filter((m) => m.type === "data").length, 0);
  assert.equal(h.stats().messages_skipped, 5);
  s.bufferedAmount = 0;
  await h.tick(base + 500);
  const data = s.sent.filter((m) => m.type === "data");
  assert.equal(data.length, 1);
  // One update covering the whole gap, not five queued ones.
  assert.ok((data[0].data as { interval_sec: number }).interval_sec > 0.5);
  h.closeAll();
});

Deno.test("StreamHub caps connections and subscriptions and tolerates double close", () => {
  const h = hub({ maxConnections: 2, maxSubscriptions: 2 });
  assert.ok(h.admit());
  const a = h.open(new FakeSocket());
  const s = new FakeSocket();
  const b = h.open(s);
  assert.ok(!h.admit());
  assert.equal(h.stats().connections_refused, 1);
  for (const id of ["1", "2", "3"]) {
    h.message(b, JSON.stringify({ op: "subscribe", id, topic: "stats" }));
  }
  assert.equal(s.sent.at(-1)!.code, "too_many_subscriptions");
  assert.equal(h.stats().subscriptions, 2);
  h.close(b);
  h.close(b);
  assert.equal(h.stats().subscriptions, 0);
  assert.equal(h.stats().connections, 1);
  h.message(b, JSON.stringify({ op: "ping" })); // after close: ignored
  h.closeAll(1001);
  h.close(a);
  assert.equal(h.stats().connections, 0);
});

Deno.test("StreamHub.closeAll() closes sockets with the code given", () => {
  const h = hub();
  const sockets = [new FakeSocket(), new FakeSocket()];
  for (const s of sockets) h.open(s);
  h.closeAll(1001);
  assert.deepEqual(sockets.map((s) => s.closedWith), [1001, 1001]);
});

/** A source whose flows snapshots take `costMs` of busy time each, counted; sync or async. */
function costlyHub(costMs: number, asPromise: boolean, limits = {}) {
  const calls: string[] = [];
  const h = new StreamHub({
    snapshot: (topic, params) => {
      calls.push(JSON.stringify(params));
      const end = performance.now() + costMs;
      while (performance.now() < end) {
        // busy, as a query over many flows is
      }
      const data = { topic, params };
      return asPromise ? Promise.resolve(data) : data;
    },
    totals: () =>
      asPromise
        ? Promise.resolve({ packets: 1, bytes: 1, dropped: 0 })
        : { packets: 1, bytes: 1, dropped: 0 },
  }, { tickMs: 25, ...limits });
  return { h, calls };
}

for (const asPromise of [false, true]) {
  Deno.test(`StreamHub keeps snapshots within its budget and says so (${asPromise ? "async" : "sync"} source)`, async () => {
    const { h, calls } = costlyHub(4, asPromise);
    const s = new FakeSocket();
    const c = h.open(s);
    for (let i = 0; i < 32; i++) {
      h.message(
        c,
        JSON.stringify({
          op: "subscribe",
          id: `f${i}`,
          topic: "flows",
          interval_ms: 100,
          params: { offset: i * 1000, q: "10.", sort: "rate" },
        }),
      );
    }
    await c.pending;
    assert.equal(s.sent.filter((m) => m.type === "subscribed").length, 32);
    // Two seconds of 25 ms ticks: 32 queries at 100 ms would be 640 snapshots (2.6 s of work).
    const base = Math.ceil(Date.now() / 100) * 100 + 100;
    for (let t = base; t < base + 2000; t += 25) await h.tick(t);
    const data = s.sent.filter((m) => m.type === "data");
    // 40% of 2 s at about 4 ms each is about 200; far fewer than asked, none starved.
    assert.ok(calls.length < 300, `${calls.length} snapshots`);
    const perSub = new Set(data.map((m) => m.id));
    assert.equal(perSub.size, 32, "every subscription got updates");
    assert.ok(data.some((m) => m.throttled === true && (m.interval_ms as number) > 150));
    assert.ok(h.stats().updates_deferred > 0);
    assert.ok(h.stats().snapshot_ms >= calls.length * 3);
    h.closeAll();
  });
}

Deno.test("StreamHub shares one snapshot across connections and ticks while fresh", async () => {
  const { h, calls } = costlyHub(0, false);
  const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  const params = { limit: 5 };
  for (const [i, s] of sockets.entries()) {
    const c = h.open(s);
    h.message(
      c,
      JSON.stringify({
        op: "subscribe",
        id: "x",
        topic: "flows",
        interval_ms: [100, 200, 1000][i],
        params,
      }),
    );
  }
  const base = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  for (let t = base; t < base + 1000; t += 25) await h.tick(t);
  // 10 + 5 + 1 updates; the 200 ms and 1 s ones reuse the 100 ms one's data.
  assert.equal(sockets.map((s) => s.sent.filter((m) => m.type === "data").length).join(), "10,5,1");
  assert.equal(calls.length, 10);
  h.closeAll();
});

Deno.test("StreamHub caps subscriptions across the whole server", () => {
  const h = hub({ maxTotalSubscriptions: 3 });
  const a = new FakeSocket();
  const b = new FakeSocket();
  const ca = h.open(a);
  const cb = h.open(b);
  for (const id of ["1", "2"]) {
    h.message(ca, JSON.stringify({ op: "subscribe", id, topic: "stats" }));
  }
  for (const id of ["1", "2"]) {
    h.message(cb, JSON.stringify({ op: "subscribe", id, topic: "stats" }));
  }
  assert.equal(b.sent.at(-1)!.code, "too_many_subscriptions");
  assert.match(b.sent.at(-1)!.message as string, /on this server/);
  assert.equal(h.stats().subscriptions, 3);
  h.closeAll();
});
