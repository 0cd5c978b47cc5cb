// JSON from the API in end-to-end tests: fetch and parse (saying what came instead), and the
// one error shape every route answers with.

import assert from "node:assert/strict";

/** A parsed JSON body: tests index into it freely. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** GETs (or `init`) `url` and parses its body as JSON; throws with the text when it is not. */
export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: ${response.status} not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body };
}

/** Asserts `body` is `{ "error": { "code", "message" } }` and nothing else (with `code`, if given). */
export function assertErrorShape(body: Json, code?: string): void {
  assert.equal(typeof body?.error?.code, "string", JSON.stringify(body));
  assert.equal(typeof body?.error?.message, "string", JSON.stringify(body));
  assert.deepEqual(Object.keys(body), ["error"]);
  if (code) assert.equal(body.error.code, code, JSON.stringify(body));
}
