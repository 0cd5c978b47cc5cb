// softBreaks() lets names wrap only after dots and colons.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { softBreaks } from "./soft_breaks.tsx";

function html(text: string): string {
  return renderToString(h("span", null, softBreaks(text)));
}

Deno.test("softBreaks() puts a break opportunity after each dot and colon, none at the end", () => {
  assert.equal(html("github.githubassets.com"), "<span>github.<wbr/>githubassets.<wbr/>com</span>");
  assert.equal(html("2001:db8::1"), "<span>2001:<wbr/>db8:<wbr/>:<wbr/>1</span>");
  assert.equal(html("example."), "<span>example.</span>");
  assert.equal(html("localhost"), "<span>localhost</span>");
});
