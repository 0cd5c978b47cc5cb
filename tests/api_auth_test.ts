// The HTTP API's access control end to end: the token by header, cookie or subprotocol, where
// it comes from, and the refusal to listen beyond loopback without one.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { startServer } from "./helpers/serve.ts";
import { assertErrorShape, getJson } from "./helpers/api_json.ts";

const FILE = corpusPath("real/ndpi_iphone.pcap");

Deno.test("with a token every route but the index needs it, by header, cookie or subprotocol", async (t) => {
  const token = `s3cret-${crypto.randomUUID()}`;
  // Many wrong tokens from one address: the login throttle is off here (tested on its own).
  const server = await startServer(FILE, ["--token", token, "--login-rate", "0"], { token });
  const bearer = { Authorization: `Bearer ${token}` };
  try {
    const doc = (await getJson(`${server.base}/api/v1/openapi.json`, { headers: bearer })).body;
    const gets = Object.keys(doc.paths).filter((p) =>
      doc.paths[p].get && (p.startsWith("/api/") || p === "/metrics") && p !== "/api/v1/stream"
    );
    gets.push("/api/v1/openapi.json");

    await t.step(
      "no token, a wrong one or a malformed header: 401 in the error shape",
      async () => {
        for (const path of gets) {
          const url = server.base + path.replace("{id}", "1").replace("{address}", "10.0.0.1");
          const attempts: Record<string, string>[] = [
            {},
            { Authorization: `Bearer ${token}x` },
            { Authorization: token },
            { Authorization: "Bearer " },
            { Cookie: "netwatch_token=nope" },
          ];
          for (const headers of attempts) {
            const { status, body } = await getJson(url, { headers });
            assert.equal(status, 401, `${path} ${JSON.stringify(headers)}`);
            assertErrorShape(body, "unauthorized");
            assert.ok(!JSON.stringify(body).includes(token));
          }
        }
      },
    );

    await t.step("the bearer token opens every route", async () => {
      for (const path of gets) {
        const url = server.base + path.replace("{id}", "1").replace("{address}", "10.0.0.1");
        const response = await fetch(url, { headers: bearer });
        await response.body?.cancel();
        // A flow id or host this replay may not have: 404 then, and never 401.
        assert.ok(
          response.status === 200 || (path.includes("{") && response.status === 404),
          `${path}: ${response.status}`,
        );
      }
    });

    await t.step("the index page loads without it and offers a login form", async () => {
      const html = await (await fetch(`${server.base}/`)).text();
      assert.match(html, /<form method="post" action="\/login">/);
      assert.ok(!html.includes(token));
    });

    await t.step("the login form sets a cookie that then opens the API", async () => {
      const wrong = await fetch(`${server.base}/login`, {
        method: "POST",
        body: new URLSearchParams({ token: "nope" }),
        redirect: "manual",
      });
      assert.equal(wrong.status, 401);
      assertErrorShape(await wrong.json(), "unauthorized");
      const right = await fetch(`${server.base}/login`, {
        method: "POST",
        body: new URLSearchParams({ token }),
        redirect: "manual",
      });
      await right.body?.cancel();
      assert.equal(right.status, 303);
      const cookie = right.headers.get("set-cookie") ?? "";
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const pair = cookie.split(";")[0];
      const { status } = await getJson(`${server.base}/api/v1/health`, {
        headers: { Cookie: pair },
      });
      assert.equal(status, 200);
    });

    await t.step("a WebSocket opens with the token subprotocol and not without it", async () => {
      const url = `ws://127.0.0.1:${server.port}/api/v1/stream`;
      const encoded = btoa(token).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      const ws = new WebSocket(url, ["netwatch.v1", `netwatch.token.${encoded}`]);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error("WebSocket with token did not open"));
      });
      assert.equal(ws.protocol, "netwatch.v1");
      const closed = new Promise((resolve) => (ws.onclose = resolve));
      ws.close();
      await closed;
      for (const protocols of [[], ["netwatch.v1", "netwatch.token.bm9wZQ"]]) {
        const refused = new WebSocket(url, protocols);
        const outcome = await new Promise<string>((resolve) => {
          refused.onopen = () => resolve("open");
          refused.onerror = () => resolve("error");
        });
        assert.equal(outcome, "error", JSON.stringify(protocols));
        if (refused.readyState !== WebSocket.CLOSED) {
          await new Promise((resolve) => (refused.onclose = resolve));
        }
      }
    });
  } finally {
    assert.equal(await server.stop(), 0);
  }
  await server.exited;
  const { stderr } = server.output();
  assert.ok(!stderr.includes(token), "the token must never be printed");
});

Deno.test("NETWATCH_TOKEN and --token-file set the token too", async () => {
  const fromEnv = `env-${crypto.randomUUID()}`;
  const dir = await Deno.makeTempDir();
  const file = `${dir}/token`;
  const fromFile = `file-${crypto.randomUUID()}`;
  await Deno.writeTextFile(file, `${fromFile}\n`);
  try {
    for (
      const [extra, env, token] of [[[], { NETWATCH_TOKEN: fromEnv }, fromEnv], [
        ["--token-file", file],
        {},
        fromFile,
      ]] as const
    ) {
      const server = await startServer(FILE, [...extra], { env: { ...env }, token });
      try {
        const anonymous = await fetch(`${server.base}/api/v1/health`);
        await anonymous.body?.cancel();
        assert.equal(anonymous.status, 401);
        const ok = await fetch(`${server.base}/api/v1/health`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        await ok.body?.cancel();
        assert.equal(ok.status, 200);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a non-loopback --listen without a token is refused in one line, exit 2", async () => {
  const refused = await runCli(["serve", "--read", FILE, "--listen", "0.0.0.0:0"], 30_000);
  assert.equal(refused.code, 2);
  const lines = refused.stderr.trim().split("\n");
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(
    lines[0],
    /^netwatch: refusing to serve on 0\.0\.0\.0:\d+ without a token.*--insecure-no-auth/,
  );
  // --insecure-no-auth and a token both lift the refusal.
  for (
    const [extra, token] of [[["--insecure-no-auth"], undefined], [
      ["--token", "t0ken-t0ken-t0ken"],
      "t0ken-t0ken-t0ken",
    ]] as const
  ) {
    const server = await startServer(FILE, [...extra], { host: "0.0.0.0", token });
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("netwatch with no command serves", async () => {
  const server = await startServer(FILE, [], { noCommand: true });
  const { status } = await getJson(`${server.base}/api/v1/health`);
  assert.equal(status, 200);
  assert.equal(await server.stop(), 0);
});
