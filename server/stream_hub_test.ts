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
