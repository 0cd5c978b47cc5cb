// One greedy stream client on a 200k-flow replay: 32 expensive flows subscriptions at 100 ms.
// The server must keep answering, and the subscriptions must be slowed and told so. (The
// latency figure is measured by bench/stream_budget.ts, not asserted here.)

import assert from "node:assert/strict";
import type { FlowsResponse } from "../server/wire.ts";
import {
  GREEDY_INTERVAL_MS as INTERVAL_MS,
  GREEDY_SUBSCRIPTIONS as SUBSCRIPTIONS,
  startGreedyStream,
} from "./helpers/greedy_stream.ts";
import { sleep } from "./reliability_server.ts";

const SECONDS = 6;

Deno.test("32 deep, filtered, rate-sorted flows subscriptions are slowed; /health answers", async () => {
  const data: { id: string; throttled?: boolean; interval_ms?: number; total: number }[] = [];
  const { server, ws, stop } = await startGreedyStream((m) => {
    data.push({ ...m, total: (m.data as FlowsResponse).total });
  });
  try {
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
    assert.equal(await stop(), 0);
  }
});
