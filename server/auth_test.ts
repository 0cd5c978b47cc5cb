// Token matching and where a request may carry its token.

import assert from "node:assert/strict";
import { presentedToken, tokenMatches, tokenProtocol } from "./auth.ts";

Deno.test("tokenMatches() accepts only the exact token, whatever the lengths", () => {
  assert.ok(tokenMatches("secret", "secret"));
  for (const wrong of ["", "secre", "secret ", "Secret", "secretsecret", undefined]) {
    assert.ok(!tokenMatches("secret", wrong), String(wrong));
  }
});

Deno.test("tokenMatches() takes about the same time for near and far misses", () => {
  const token = "x".repeat(64);
  const time = (given: string) => {
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) tokenMatches(token, given);
    return performance.now() - start;
  };
  time(token); // warm up
  const near = Math.min(time("x".repeat(63) + "y"), time("x".repeat(63) + "y"));
  const far = Math.min(time("y"), time("y"));
  // Both hash first, so the gap is noise; a byte-by-byte compare would differ many times over.
  assert.ok(near / far < 3 && far / near < 3, `near ${near} ms, far ${far} ms`);
});

Deno.test("presentedToken() reads a bearer header or a subprotocol, never a cookie", () => {
  assert.equal(presentedToken(new Headers({ Authorization: "Bearer abc" })), "abc");
  assert.equal(presentedToken(new Headers({ Authorization: "Basic abc" })), "");
  const protocol = tokenProtocol("tök/en+=");
  assert.match(protocol, /^netwatch\.token\.[A-Za-z0-9_-]+$/);
  assert.equal(
    presentedToken(new Headers({ "Sec-WebSocket-Protocol": `netwatch.v1, ${protocol}` })),
    "tök/en+=",
  );
  assert.equal(presentedToken(new Headers({ Cookie: "netwatch_token=t" })), undefined);
  assert.equal(presentedToken(new Headers({ Cookie: "netwatch_session=t" })), undefined);
  assert.equal(presentedToken(new Headers()), undefined);
});
