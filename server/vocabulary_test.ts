// The API vocabulary agrees with the engine's own lists that the browser bundle cannot import
// (they sit beside the packet path in flows/), and it stays safe for that bundle.

import assert from "node:assert/strict";
import { MAX_LIMIT } from "../flows/flow_paging.ts";
import { MAX_POINTS } from "../flows/series_view.ts";
import { CONN_STATE_NAMES as ENGINE_STATES } from "../flows/tcp_state.ts";
import { queryFlows } from "../flows/query.ts";
import { CONN_STATE_NAMES, LIMITS, SORT_KEYS } from "./vocabulary.ts";

Deno.test("the vocabulary's states are the engine's, in its order", () => {
  assert.deepEqual(CONN_STATE_NAMES, ENGINE_STATES.slice(1));
});

Deno.test("every sort key of the vocabulary is one the engine sorts by", () => {
  for (const sort of SORT_KEYS) {
    assert.doesNotThrow(() => queryFlows([], { sort }, 0), `engine refuses sort=${sort}`);
  }
  assert.throws(() => queryFlows([], { sort: "nope" as never }, 0), /expected bytes, packets/);
});

Deno.test("the API's limits fit inside the engine's", () => {
  assert.equal(LIMITS.seriesPointsMax, MAX_POINTS);
  assert.ok(LIMITS.offsetMax + LIMITS.pageMax + 1 <= MAX_LIMIT);
  assert.ok(LIMITS.pageDefault <= LIMITS.pageMax && LIMITS.talkersDefault <= LIMITS.talkersMax);
});

Deno.test("the vocabulary stays browser-safe: it imports only flows/sort_keys.ts, which imports nothing", () => {
  const imports = (url: URL) =>
    [...Deno.readTextFileSync(url).matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(imports(new URL("./vocabulary.ts", import.meta.url)), [
    "../flows/sort_keys.ts",
  ]);
  assert.deepEqual(imports(new URL("../flows/sort_keys.ts", import.meta.url)), []);
});
