// The live chart's two feeds, the range load (/series for the view) and the tail (the seconds
// finished since, once a second), against a stubbed fetch: what they draw together.

import assert from "node:assert/strict";
import { loadChart, loadTail } from "./feeds.ts";
import { chartMeta, noteServerTime, serverNow, stats, throughput } from "./store.ts";
import type { SeriesResponse, StatsResponse } from "../../server/wire.ts";

/** A /series answer of 1 s points for seconds [from, to] (empty when from > to). */
function series(from: number, to: number): SeriesResponse {
  const t: number[] = [];
  for (let x = from; x <= to; x++) t.push(x);
  return {
    tier: "memory",
    metric: "bps",
    unit: "bit/s",
    step: 1,
    from,
    to,
    t,
    series: [{ name: "total", values: t.map((x) => x % 1000) }],
  } as SeriesResponse;
}

Deno.test("a range load that answers after the tail drew leaves no gap before the tail's seconds", async () => {
  const realFetch = globalThis.fetch;
  // The chart's two requests (bps, pps) wait until released; the tail's answer at once.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let tailTo = 0;
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input), "http://dashboard.test");
    const from = Number(url.searchParams.get("from"));
    const answer = async () => {
      if (url.searchParams.get("step") === "1" && url.searchParams.has("from")) {
        if (from >= Math.floor(Date.now() / 1000) - 9 - 2) {
          // The tail (its bps and pps requests): nine finished seconds from `from`.
          tailTo = from + 8;
          return series(from, tailTo);
        }
        await released;
        // The range load, answered by a server that had finished two seconds fewer than the
        // tail saw (its requests went out first).
        return series(from, tailTo - 2);
      }
      throw new Error(`unexpected request ${url}`);
    };
    return new Response(JSON.stringify(await answer()), {
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  try {
    noteServerTime(Date.now());
    stats.value = { uptime_sec: 3600 } as StatsResponse;
    const load = loadChart();
    await loadTail();
    assert.ok(tailTo > 0, "the tail asked for its seconds");
    release();
    await load;
    const xs = throughput.bps.map((p) => p.x);
    assert.equal(xs.at(-1), tailTo, `the tail's last second is drawn: ${xs.slice(-5)}`);
    for (let i = 1; i < xs.length; i++) {
      assert.equal(xs[i], xs[i - 1] + 1, `seconds ${xs[i - 1]} and ${xs[i]} with none between`);
    }
    assert.deepEqual(
      throughput.bps.slice(-2).map((p) => p.y),
      [(tailTo - 1) % 1000, tailTo % 1000],
      "with the tail's values",
    );
  } finally {
    globalThis.fetch = realFetch;
  }
});

Deno.test("a live load the server refuses (no second finished yet) keeps the seconds the tail saw meanwhile", async () => {
  const realFetch = globalThis.fetch;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let requests = 0;
  let tailSeconds: number[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input), "http://dashboard.test");
    // The chart's two requests go out first (synchronously in loadChart()); held, then the
    // answer a server gives when asked from a second it has not finished.
    if (requests++ < 2) {
      await released;
      return json(
        { error: { code: "bad_request", message: "'from' is after the last second" } },
        400,
      );
    }
    // The tail: the two seconds the server has finished since it started.
    const last = Math.floor(serverNow()) - 1;
    const answer = series(Math.max(Number(url.searchParams.get("from")), last - 1), last);
    tailSeconds = answer.t;
    return json(answer);
  }) as typeof fetch;
  try {
    // A server clock ten minutes from the first test's, so the seconds the tail remembers from
    // it are older than this server's start.
    noteServerTime(Date.now() + 600_000);
    stats.value = { uptime_sec: 4 } as StatsResponse;
    const load = loadChart();
    await loadTail();
    assert.equal(tailSeconds.length, 2, "the tail asked for its seconds");
    release();
    await load;
    const from = chartMeta.peek().from;
    const drawn = throughput.bps.map((p) => p.x);
    assert.deepEqual(drawn, tailSeconds.filter((t) => t >= from), `chart from ${from}`);
    assert.ok(drawn.length > 0, `the tail's seconds ${tailSeconds} are after the start ${from}`);
    assert.equal(chartMeta.peek().to, drawn.at(-1));
  } finally {
    globalThis.fetch = realFetch;
  }
});
