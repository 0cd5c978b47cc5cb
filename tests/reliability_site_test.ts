// Cross-site attacks on a running serve: DNS rebinding (a foreign Host), WebSocket hijacking (a
// foreign Origin, with and without the login cookie), the session cookie, logout, and guessing.

import assert from "node:assert/strict";
import { corpusPath } from "./helpers/corpus.ts";
import { type ServeProcess, startServe } from "./helpers/serve.ts";
import { rawRequest, upgrade } from "./reliability_server.ts";

const FILE = corpusPath("real/pcapplusplus_tls2.pcap");
const TOKEN = `tok-${crypto.randomUUID()}`;

/** A WebSocket handshake with `headers`; the status (101 or the refusal) and its body. */
async function handshake(port: number, headers: Record<string, string>) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    return await upgrade(conn, port, headers);
  } finally {
    conn.close();
  }
}

async function httpStats(server: ServeProcess, headers: HeadersInit = {}) {
  return (await (await fetch(`${server.base}/api/v1/stats`, { headers })).json()).http;
}

Deno.test("without a token: a foreign Host or WebSocket Origin gets 403 before any data", async (t) => {
  const server = await startServe({ file: FILE });
  const port = server.port;
  const own = `127.0.0.1:${port}`;
  try {
    await t.step("a rebinding page (Host: attacker.example) reads nothing", async () => {
      for (const path of ["/api/v1/flows", "/api/v1/talkers", "/metrics", "/"]) {
        const answer = await rawRequest(port, "GET", path, { Host: `attacker.example:${port}` });
        assert.equal(answer.status, 403, path);
        assert.match(answer.body, /^\{"error":\{"code":"forbidden_host","message":"[^"]+"\}\}$/);
      }
      const ok = await rawRequest(port, "GET", "/api/v1/flows", { Host: own });
      assert.equal(ok.status, 200);
      const local = await rawRequest(port, "GET", "/api/v1/health", { Host: "localhost:9999" });
      assert.equal(local.status, 200, "an SSH tunnel's local port");
    });

    await t.step(
      "a page on evil.example, or on another local port, cannot open the stream",
      async () => {
        for (const origin of ["https://evil.example", "http://127.0.0.1:1", "null"]) {
          const answer = await handshake(port, { Origin: origin });
          assert.equal(answer.status, 403, origin);
          assert.match(
            answer.body,
            /^\{"error":\{"code":"forbidden_origin","message":"[^"]+"\}\}$/,
          );
        }
        assert.equal((await handshake(port, { Origin: `http://${own}` })).status, 101);
        assert.equal((await handshake(port, {})).status, 101, "no Origin: not a browser");
      },
    );

    await t.step("refusals are counted", async () => {
      const http = await httpStats(server);
      assert.equal(http.forbidden, 4 + 3);
      const metrics = await (await fetch(`${server.base}/metrics`)).text();
      assert.match(metrics, /^netwatch_http_forbidden_total 7$/m);
    });
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("with a token: the cookie holds a session, logout ends it, guessing is slowed", async (t) => {
  const server = await startServe({
    file: FILE,
    extra: ["--token", TOKEN, "--allowed-host", "nw.example.org"],
  });
  const port = server.port;
  const own = `127.0.0.1:${port}`;
  const form = `token=${encodeURIComponent(TOKEN)}`;
  const formType = { "Content-Type": "application/x-www-form-urlencoded" };
  let session = "";
  try {
    await t.step("login sets an HttpOnly session cookie that is not the token", async () => {
      const answer = await rawRequest(port, "POST", "/login", { Host: own, ...formType }, form);
      assert.equal(answer.status, 303);
      const cookie = /^set-cookie: (.*)$/im.exec(answer.head)?.[1] ?? "";
      assert.match(
        cookie,
        /^netwatch_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/,
      );
      assert.doesNotMatch(cookie, /Secure/);
      assert.ok(!cookie.includes(TOKEN) && !cookie.includes(encodeURIComponent(TOKEN)));
      session = cookie.split(";")[0];
      const health = await rawRequest(port, "GET", "/api/v1/health", {
        Host: own,
        Cookie: session,
      });
      assert.equal(health.status, 200);
      const tokenCookie = await rawRequest(port, "GET", "/api/v1/health", {
        Host: own,
        Cookie: `netwatch_token=${TOKEN}`,
      });
      assert.equal(tokenCookie.status, 401, "the raw token in a cookie opens nothing");
    });

    await t.step("the cookie does not open the stream for a foreign page", async () => {
      const hijack = await handshake(port, { Origin: "http://127.0.0.1:1", Cookie: session });
      assert.equal(hijack.status, 403);
      const own_ = await handshake(port, { Origin: `http://${own}`, Cookie: session });
      assert.equal(own_.status, 101);
    });

    await t.step(
      "behind an HTTPS proxy that is an --allowed-host, the cookie is Secure",
      async () => {
        const answer = await rawRequest(port, "POST", "/login", {
          Host: "nw.example.org",
          "X-Forwarded-Proto": "https",
          Origin: "https://nw.example.org",
          ...formType,
        }, form);
        assert.equal(answer.status, 303);
        assert.match(answer.head, /^set-cookie: netwatch_session=[^;]+;.*; Secure$/im);
        const spoofed = await rawRequest(port, "POST", "/login", {
          Host: own,
          "X-Forwarded-Proto": "https",
          ...formType,
        }, form);
        assert.doesNotMatch(spoofed.head, /Secure/, "X-Forwarded-Proto counts only via the proxy");
      },
    );

    await t.step("logout clears the cookie and ends the session", async () => {
      const answer = await rawRequest(port, "POST", "/logout", { Host: own, Cookie: session });
      assert.equal(answer.status, 303);
      assert.match(
        answer.head,
        /^set-cookie: netwatch_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/im,
      );
      const after = await rawRequest(port, "GET", "/api/v1/health", { Host: own, Cookie: session });
      assert.equal(after.status, 401);
      const foreign = await rawRequest(port, "POST", "/logout", {
        Host: own,
        Origin: "https://evil.example",
      });
      assert.equal(foreign.status, 403, "a foreign page cannot log the admin out");
    });

    await t.step(
      "wrong tokens: a few answered 401, then 429 with Retry-After, counted",
      async () => {
        const statuses: number[] = [];
        let retryAfter = "";
        for (let i = 0; i < 40; i++) {
          const answer = await rawRequest(
            port,
            "POST",
            "/login",
            { Host: own, ...formType },
            `token=guess${i}`,
          );
          statuses.push(answer.status);
          if (answer.status === 429) {
            retryAfter = /^retry-after: (\d+)$/im.exec(answer.head)?.[1] ?? "";
          }
        }
        const wrong = statuses.filter((s) => s === 401).length;
        const slowed = statuses.filter((s) => s === 429).length;
        assert.ok(wrong >= 5 && wrong <= 10, `${wrong} answered 401`);
        assert.equal(wrong + slowed, 40);
        assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
        // Bearer guesses on the API share the same bucket.
        const bearer = await rawRequest(port, "GET", "/api/v1/flows", {
          Host: own,
          Authorization: "Bearer x",
        });
        assert.equal(bearer.status, 429);
        // The right token from a throttled address waits too (documented): read the counter later.
        const blocked = await rawRequest(port, "GET", "/api/v1/stats", {
          Host: own,
          Authorization: `Bearer ${TOKEN}`,
        });
        assert.equal(blocked.status, 429);
        await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000 + 100));
        const after = await httpStats(server, { Authorization: `Bearer ${TOKEN}` });
        assert.equal(after.login_failures, wrong);
        const metrics = await (await fetch(`${server.base}/metrics`, {
          headers: { Authorization: `Bearer ${TOKEN}` },
        })).text();
        assert.match(metrics, new RegExp(`^netwatch_login_failures_total ${wrong}$`, "m"));
      },
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const lines = server.output().stderr.split("\n").filter((l) => /wrong tokens from/.test(l));
  assert.equal(lines.length, 1, "one log line for the whole burst");
  assert.match(lines[0], /^netwatch: \d+ wrong tokens from 127\.0\.0\.1; slowing it/);
});
