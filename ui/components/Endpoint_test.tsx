// Endpoint keeps the port and the end of an address or name; only the beginning may be cut.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { Endpoint, splitEnd } from "./Endpoint.tsx";

Deno.test("splitEnd() keeps the last two groups of IPv6 and labels of names as the end", () => {
  assert.deepEqual(splitEnd("2601:647:4b02:1d20:fd05:6f66:ecce:8bc7"), [
    "2601:647:4b02:1d20:fd05:6f66:",
    "ecce:8bc7",
  ]);
  assert.deepEqual(splitEnd("2001:558:feed:443::14"), ["2001:558:feed:443:", ":14"]);
  assert.deepEqual(splitEnd("r5---sn-n4v7sney.googlevideo.com"), [
    "r5---sn-n4v7sney.",
    "googlevideo.com",
  ]);
  assert.deepEqual(splitEnd("192.168.0.17"), ["", "192.168.0.17"]);
  assert.deepEqual(splitEnd("i.ytimg.com"), ["", "i.ytimg.com"]);
  assert.deepEqual(splitEnd("::1"), ["", "::1"]);
});

Deno.test("Endpoint puts the port and the address's end where no ellipsis reaches", () => {
  const html = renderToString(
    h(Endpoint, { address: "2601:647:4b02:1d20:fd05:6f66:ecce:8bc7", port: 49634 }),
  );
  // The part that may be cut wraps after its colons on a phone.
  assert.match(html, /<span class="cut">2601:<wbr\/>647:<wbr\/>4b02:<wbr\/>1d20:<wbr\/>fd05:/);
  assert.match(html, /<span class="keep">ecce:8bc7\]<span class="port">:49634<\/span><\/span>/);
  const named = renderToString(
    h(Endpoint, { address: "192.0.2.1", port: 443, name: "r5---sn-n4v7sney.googlevideo.com" }),
  );
  assert.match(named, /<span class="keep"><span class="name">googlevideo\.com<\/span>/);
  assert.match(named, /<span class="port">:443<\/span>/);
});
