// One greedy stream client on a 200k-flow replay: 32 expensive flows subscriptions at 100 ms.
// The server must keep answering, and the subscriptions must be slowed and told so. (The
// latency figure is measured by bench/stream_budget.ts, not asserted here.)

import assert from "node:assert/strict";
import { generateCapture } from "../bench/generate_capture.ts";
import { startServer } from "./helpers/serve.ts";
import { sleep } from "./reliability_server.ts";

const SUBSCRIPTIONS = 32;
const INTERVAL_MS = 100;
const SECONDS = 6;

Deno.test("32 deep, filtered, rate-sorted flows subscriptions are slowed; /health answers", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/200k.pcap`;
  generateCapture(path, { packets: 200_000, flows: 200_000, seed: 18 });
  const server = await startServer(path);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/stream`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("stream did not open"));
    });
    const data: { id: string; throttled?: boolean; interval_ms?: number; total: number }[] = [];
    ws.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === "data") data.push({ ...m, total: m.data.total });
    };
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      ws.send(JSON.stringify({
        op: "subscribe",
        id: `f${i}`,
        topic: "flows",
        interval_ms: INTERVAL_MS,
        params: { offset: 50_000 + i * 1000, limit: 100, q: "10.", sort: "rate" },
      }));
    }
    let answered = 0;
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const response = await fetch(`${server.base}/api/v1/health`, {
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(response.status, 200);
      assert.equal((await response.json()).status, "ok");
      answered++;
      await sleep(100);
    }
    ws.close();
    const stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
    const asked = SUBSCRIPTIONS * SECONDS * 1000 / INTERVAL_MS;
    console.log(
      `${answered} /health answers; ${data.length} updates of ${asked} asked; ` +
        `${data.filter((d) => d.throttled).length} marked throttled; ` +
        `stream ${JSON.stringify(stats.stream)}`,
    );
    assert.ok(answered >= 5, `${answered} /health answers`);
    // Slowed, and said so: far fewer updates than asked, each late one marked with its interval.
    assert.ok(data.length > 0, "no update at all: starved, not slowed");
    assert.ok(data.length < asked / 4, `${data.length} updates of ${asked}`);
    assert.ok(stats.stream.updates_deferred > 0);
    const throttled = data.filter((d) => d.throttled === true);
    assert.ok(throttled.length > 0, "no update says it was throttled");
    for (const d of throttled) assert.ok(d.interval_ms! > INTERVAL_MS * 1.5, JSON.stringify(d));
    assert.ok(data.every((d) => d.total > 100_000), "the data is the real query's");
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});
