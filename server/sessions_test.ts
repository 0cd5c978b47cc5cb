// SessionStore: random ids, expiry, rotation, logout, a new token, and the bound.

import assert from "node:assert/strict";
import { presentedSession, SESSION_TTL_MS, sessionCookie, SessionStore } from "./sessions.ts";

Deno.test("SessionStore opens sessions that hold no trace of the token", () => {
  const store = new SessionStore();
  const id = store.open("s3cret");
  assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!id.includes("s3cret") && id !== store.open("s3cret"));
  assert.deepEqual(store.check(id, "s3cret"), { valid: true });
  assert.deepEqual(store.check(id + "x", "s3cret"), { valid: false });
  assert.deepEqual(store.check(undefined, "s3cret"), { valid: false });
  const cookie = sessionCookie(id, true);
  assert.match(
    cookie,
    /^netwatch_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=86400; Secure$/,
  );
  assert.equal(presentedSession(new Headers({ Cookie: `a=1; ${cookie.split(";")[0]}` })), id);
});

Deno.test("SessionStore ends sessions on logout, on a new token and at expiry", () => {
  let now = 0;
  const store = new SessionStore(() => now);
  const a = store.open("t1");
  const b = store.open("t1");
  store.close(a);
  assert.equal(store.check(a, "t1").valid, false);
  assert.equal(store.check(b, "t2").valid, false, "a new token ends old sessions");
  const c = store.open("t1");
  now += SESSION_TTL_MS;
  assert.equal(store.check(c, "t1").valid, false);
});

Deno.test("SessionStore rotates a session past half its life, the old id lapsing soon", () => {
  let now = 0;
  const store = new SessionStore(() => now);
  const old = store.open("t");
  now += SESSION_TTL_MS / 2 + 1;
  const check = store.check(old, "t");
  assert.ok(check.valid && check.rotated);
  assert.equal(store.check(check.rotated, "t").valid, true);
  assert.equal(store.check(old, "t").valid, true, "in-flight requests keep working");
  now += 61_000;
  assert.equal(store.check(old, "t").valid, false);
  assert.equal(store.check(check.rotated, "t").valid, true);
});

Deno.test("SessionStore keeps at most 1024 sessions, dropping the oldest", () => {
  const store = new SessionStore();
  const first = store.open("t");
  for (let i = 0; i < 1100; i++) store.open("t");
  assert.equal(store.size, 1024);
  assert.equal(store.check(first, "t").valid, false);
});
