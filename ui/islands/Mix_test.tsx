// Mix says where its apps came from only when it shows some, says "no traffic" only while the
// stream is up, and greys what it keeps while the stream is down.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { ProtocolsResponse } from "../../server/wire.ts";
import { appMix, connection, protocols, view } from "../client/store.ts";
import { DEFAULT_VIEW } from "../client/view_state.ts";
import Mix from "./Mix.tsx";

/** /protocols of a quiet "now" window with no apps of its own (they are summed from flows). */
const QUIET: ProtocolsResponse = {
  window: "now",
  tier: "memory",
  from: null,
  to: null,
  seconds: 3,
  packets: 0,
  bytes: 0,
  dropped: 0,
  protocols: [],
  services: [],
  apps: [],
};

function render(): string {
  return renderToString(h(Mix, {}));
}

function reset(): void {
  connection.value = { status: "live", retryAt: null, attempts: 0, lastLive: null };
  protocols.value = null;
  appMix.value = null;
}

Deno.test("Mix of a replay that ended: no traffic now, with no claim of apps summed", () => {
  view.value = { ...DEFAULT_VIEW };
  connection.value = { status: "live", retryAt: null, attempts: 0, lastLive: 0 };
  protocols.value = QUIET;
  appMix.value = { apps: [], fromFlows: 334, by: "rate", allFlows: true };
  const quiet = render();
  assert.match(quiet, /No traffic in the last 3 s: none of the 334 active flows sent\./);
  assert.doesNotMatch(quiet, /apps summed/);
  appMix.value = {
    apps: [{ name: "TLS.Google", kind: "app", bytes: 9000, packets: 9, flows: 2, rate: 500 }],
    fromFlows: 500,
    by: "rate",
    allFlows: false,
  };
  const busy = render();
  assert.match(busy, /apps summed from the 500 fastest active flows/);
  assert.doesNotMatch(busy, /No traffic/);
  reset();
});

Deno.test("Mix while the stream is down: waits for the server instead of saying no traffic", () => {
  view.value = { ...DEFAULT_VIEW };
  connection.value = { status: "retrying", retryAt: 1, attempts: 2, lastLive: 0 };
  protocols.value = QUIET;
  appMix.value = { apps: [], fromFlows: 3, by: "rate", allFlows: true };
  const empty = render();
  assert.match(empty, /Waiting for the server/);
  assert.doesNotMatch(empty, /No traffic/);
  appMix.value = {
    apps: [{ name: "DNS", kind: "app", bytes: 900, packets: 9, flows: 3, rate: 50 }],
    fromFlows: 3,
    by: "rate",
    allFlows: true,
  };
  const kept = render();
  assert.match(kept, /class="mix stale"/);
  assert.match(kept, /Last figures before the connection was lost/);
  assert.match(kept, /data-name="DNS"/);
  reset();
});
