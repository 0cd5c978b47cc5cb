// netRawHint(): the advice a permission error gives fits how Netwatch was started.

import assert from "node:assert/strict";
import { netRawHint } from "./capture_error.ts";

Deno.test("netRawHint() names the compiled binary's own path for setcap", () => {
  const hint = netRawHint(true, "/opt/netwatch/bin/netwatch");
  assert.match(hint, /`sudo setcap cap_net_raw=eip \/opt\/netwatch\/bin\/netwatch`/);
  assert.match(hint, /AmbientCapabilities=CAP_NET_RAW/);
});

Deno.test("netRawHint() from source says root or the binary, not setcap on the runtime", () => {
  const hint = netRawHint(false);
  assert.doesNotMatch(hint, /setcap|command -v/);
  assert.match(hint, /sudo npm start/);
  assert.match(hint, /npx deno task build/);
  // Under `deno test` Netwatch runs from source: the default is the from-source advice.
  assert.equal(netRawHint(), hint);
});
