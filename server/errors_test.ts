// quote(): what an error message shows of a value a client sent.

import assert from "node:assert/strict";
import { badParameter, quote } from "./errors.ts";

Deno.test("quote() escapes bidi, zero-width and C1 controls, keeps other text as sent", () => {
  assert.equal(quote("10.0.0.1"), '"10.0.0.1"');
  assert.equal(quote("\u202egnp.exe"), '"\\u202egnp.exe"');
  assert.equal(quote("a\u200bb\u2066c\u2069\u061c"), '"a\\u200bb\\u2066c\\u2069\\u061c"');
  assert.equal(quote("\u0085\u2028\ufeff"), '"\\u0085\\u2028\\ufeff"');
  assert.equal(quote("\u0007\n"), '"\\u0007\\n"');
  assert.equal(quote("münchen.example 日本"), '"münchen.example 日本"');
  assert.equal(quote("x".repeat(100)), `"${"x".repeat(80)}..."`);
  // What a client reads back is the escape, and parsing the quote gives the value again.
  const message = badParameter("host", "\u202e1.1.1.1", "an address").message;
  assert.ok(!/[\u202a-\u202e]/.test(message), message);
  assert.equal(JSON.parse(quote("\u202e1.1")), "\u202e1.1");
});
