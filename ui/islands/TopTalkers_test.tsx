// TopTalkers ranks by current rate unless told otherwise, sorts every column both ways, shows
// names and places with the address on hover, and never says "no host" while the stream is down.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { HostStats } from "../../server/wire.ts";
import { connection, talkers, view } from "../client/store.ts";
import { DEFAULT_VIEW, withRange } from "../client/view_state.ts";
import TopTalkers, { sortTalkers } from "./TopTalkers.tsx";

function host(address: string, sent: number, received: number, rate: number): HostStats {
  return {
    address,
    bytes_sent: sent,
    bytes_received: received,
    packets_sent: sent / 100,
    packets_received: received / 100,
    rate_sent: rate,
    rate_received: 0,
    name: null,
    country: null,
    asn: null,
  };
}

const HOSTS = [
  host("10.0.0.1", 9_000_000, 0, 0), // the most bytes, quiet now
  host("10.0.0.2", 1000, 2000, 50_000), // busiest now
  host("10.0.0.3", 500_000, 800_000, 10),
];

Deno.test("sortTalkers() ranks by current rate by default, and by any column either way", () => {
  const order = (v = { ...DEFAULT_VIEW }, live = true) =>
    sortTalkers(HOSTS, v, live).map((h) => h.address);
  assert.deepEqual(order(), ["10.0.0.2", "10.0.0.3", "10.0.0.1"]);
  assert.deepEqual(order({ ...DEFAULT_VIEW, tsort: "total" }), [
    "10.0.0.1",
    "10.0.0.3",
    "10.0.0.2",
  ]);
  assert.deepEqual(order({ ...DEFAULT_VIEW, tsort: "received", torder: "asc" }), [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
  ]);
  // A past range has no "now": the rate column falls back to the total.
  assert.deepEqual(order(withRange({ ...DEFAULT_VIEW }, "24h"), false)[0], "10.0.0.1");
});

Deno.test("TopTalkers shows a host's name and place, its address on hover", () => {
  view.value = { ...DEFAULT_VIEW };
  talkers.value = {
    data: {
      window: "now",
      tier: "memory",
      from: null,
      to: null,
      by: "bytes",
      talkers: [{ ...HOSTS[1], name: "video.example", country: "DE", asn: 3320 }],
    },
    fromFlows: 0,
    error: null,
  };
  const html = renderToString(h(TopTalkers, {}));
  assert.match(html, />video\.<wbr\/>example</); // wraps at the dot, not inside a label
  assert.match(html, /title="10\.0\.0\.2 \(video\.example\): open its host view"/);
  assert.match(html, /DE · AS3320/);
  assert.match(html, /data-tsort="now"/);
  talkers.value = { data: null, fromFlows: 0, error: null };
});

Deno.test("TopTalkers while the stream is down: keeps its rows greyed, or waits for the server", () => {
  view.value = { ...DEFAULT_VIEW };
  const data = (rows: HostStats[]) => ({
    data: {
      window: "now" as const,
      tier: "memory" as const,
      from: null,
      to: null,
      by: "bytes" as const,
      talkers: rows,
    },
    fromFlows: 0,
    error: null,
  });
  talkers.value = data([]);
  assert.match(renderToString(h(TopTalkers, {})), /No host is sending or receiving now\./);
  connection.value = { status: "retrying", retryAt: 1, attempts: 1, lastLive: 0 };
  const empty = renderToString(h(TopTalkers, {}));
  assert.match(empty, /Waiting for the server/);
  assert.doesNotMatch(empty, /No host is sending/);
  talkers.value = data([HOSTS[1]]);
  const kept = renderToString(h(TopTalkers, {}));
  assert.match(kept, /class="data talkers-table stale"/);
  assert.match(kept, /data-address="10\.0\.0\.2"/);
  assert.match(kept, /Last figures before the connection was lost/);
  connection.value = { status: "live", retryAt: null, attempts: 0, lastLive: null };
  talkers.value = { data: null, fromFlows: 0, error: null };
});
