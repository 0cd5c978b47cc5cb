// Auth against hostile callers: with a token, every route in openapi.json, /metrics and the
// stream refuse callers without it (no data in the answer); wrong tokens of any length take about
// as long to refuse; the token never shows in the server's output or in any answer.

import assert from "node:assert/strict";
import { corpusPath } from "./helpers/corpus.ts";
import { tokenProtocol } from "../server/auth.ts";
import { median, upgrade, waitForState } from "./reliability_server.ts";
import { type ServeProcess, startServe } from "./helpers/serve.ts";

const CAPTURE = corpusPath("real/ndpi_iphone.pcap");
const TOKEN = `nw-${crypto.randomUUID().replaceAll("-", "")}`;
/** Timing rounds per wrong-token class. */
const ROUNDS = 300;

/** Wrong credentials, each as the headers that carry it. */
function wrongCredentials(): [string, Record<string, string>][] {
  const last = TOKEN.at(-1) === "a" ? "b" : "a";
  return [
    ["none", {}],
    ["empty bearer", { Authorization: "Bearer " }],
    ["bearer, one character", { Authorization: "Bearer x" }],
    ["bearer, all but the last character", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["bearer, last character wrong", { Authorization: `Bearer ${TOKEN.slice(0, -1)}${last}` }],
    ["bearer, token plus one", { Authorization: `Bearer ${TOKEN}x` }],
    ["bearer, upper case", { Authorization: `Bearer ${TOKEN.toUpperCase()}` }],
    ["bearer, quoted", { Authorization: `Bearer "${TOKEN}"` }],
    ["bearer, 8000 characters", { Authorization: `Bearer ${"k".repeat(8000)}` }],
    ["basic with the token", { Authorization: `Basic ${btoa(`user:${TOKEN}`)}` }],
    ["token without scheme", { Authorization: TOKEN }],
    ["wrong cookie", { Cookie: "netwatch_token=nope" }],
    ["wrong session", { Cookie: "netwatch_session=nope" }],
    ["the token as the session", { Cookie: `netwatch_session=${TOKEN}` }],
    ["token in another cookie", { Cookie: `session=${TOKEN}` }],
    ["cookie, bad encoding", { Cookie: "netwatch_token=%ZZ" }],
    ["wrong subprotocol token", {
      "Sec-WebSocket-Protocol": `netwatch.v1, ${tokenProtocol("nope")}`,
    }],
    ["subprotocol, bad base64", { "Sec-WebSocket-Protocol": "netwatch.v1, netwatch.token.!!!" }],
    ["wrong bearer, right cookie ignored", {
      Authorization: "Bearer nope",
      Cookie: `netwatch_token=${TOKEN}`,
    }],
  ];
}

interface Walked {
  method: string;
  path: string;
}

Deno.test("with a token nothing leaks without it, and the token never shows", async (t) => {
  // Thousands of wrong tokens from one address: the login throttle is off here, so every one is
  // compared (tests/reliability_site_test.ts covers the throttle).
  const server: ServeProcess = await startServe({
    file: CAPTURE,
    extra: ["--token", TOKEN, "--login-rate", "0"],
  });
  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const summary: string[] = [];
  const leakChecked: string[] = []; // every answer body, for the token check at the end
  try {
    await waitForState(server.base, ["ended"], 30_000, bearer);
    const docResponse = await fetch(`${server.base}/api/v1/openapi.json`, { headers: bearer });
    assert.equal(docResponse.status, 200);
    const doc = await docResponse.json();
    const flows = await (await fetch(`${server.base}/api/v1/flows?limit=1000`, { headers: bearer }))
      .json();
    assert.ok(flows.flows.length > 10);
    // Data an intruder must not see: the capture's unicast addresses (0.0.0.0, broadcast and
    // multicast say nothing about this network, and the page may well contain "0.0.0.0").
    const addresses = new Set<string>();
    for (const f of flows.flows) addresses.add(f.src_ip).add(f.dst_ip);
    for (const a of addresses) {
      if (/^(0\.0\.0\.0|255\.255\.255\.255|22[4-9]\.|23\d\.|ff|::$)/i.test(a)) addresses.delete(a);
    }
    assert.ok(addresses.size >= 5, `only ${addresses.size} unicast addresses`);
    const id = flows.flows[0].id;

    const routes: Walked[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, object>)) {
      for (const method of Object.keys(item)) routes.push({ method: method.toUpperCase(), path });
    }
    const guarded = routes.filter((r) => r.path.startsWith("/api/") || r.path === "/metrics");
    const open = routes.filter((r) => !guarded.includes(r));
    for (const path of ["/api/v1/openapi.json", "/metrics", "/api/v1/stream"]) {
      if (!guarded.some((r) => r.path === path)) guarded.push({ method: "GET", path });
    }
    assert.ok(guarded.length >= 10, `only ${guarded.length} guarded routes in openapi.json`);
    const host = flows.flows[0].src_ip;
    const url = (path: string) =>
      server.base + path.replace("{id}", String(id)).replace("{address}", host);

    await t.step("the token opens every guarded route (so the walk reaches data)", async () => {
      for (const { method, path } of guarded) {
        const response = await fetch(url(path), { method, headers: bearer });
        const text = await response.text();
        leakChecked.push(text);
        const want = path === "/api/v1/stream" ? 426 : 200;
        assert.equal(response.status, want, `${method} ${path}`);
      }
    });

    let refusals = 0;
    await t.step(
      "every guarded route refuses every wrong credential with the same 401",
      async () => {
        const bodies = new Set<string>();
        for (const { method, path } of guarded) {
          for (const [name, headers] of wrongCredentials()) {
            const target = path === "/metrics"
              ? url(path)
              : `${url(path)}${name === "none" ? `?token=${TOKEN}` : ""}`;
            const response = await fetch(target, { method, headers });
            const text = await response.text();
            leakChecked.push(text);
            refusals++;
            const where = `${method} ${path} with ${name}`;
            assert.equal(response.status, 401, `${where}: ${text.slice(0, 200)}`);
            assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="netwatch"');
            assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
            const body = JSON.parse(text);
            assert.deepEqual(Object.keys(body), ["error"], where);
            assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"], where);
            assert.equal(body.error.code, "unauthorized", where);
            bodies.add(text);
            for (const address of addresses) assert.ok(!text.includes(address), `${where}: data`);
          }
        }
        // One fixed answer whatever was asked and sent: it cannot carry data or echo input.
        assert.equal(bodies.size, 1, [...bodies].join("\n"));
        summary.push(
          `${guarded.length} guarded routes x ${wrongCredentials().length} wrong credentials: ` +
            `${refusals} answers, all the same 401`,
        );
      },
    );

    await t.step("the stream refuses an upgrade without the right token", async () => {
      const attempts = wrongCredentials();
      for (const [name, headers] of attempts) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        try {
          const answer = await upgrade(conn, server.port, headers);
          leakChecked.push(answer.head + answer.body);
          assert.equal(answer.status, 401, `stream with ${name}: ${answer.head}`);
          assert.equal(JSON.parse(answer.body).error.code, "unauthorized");
        } finally {
          conn.close();
        }
      }
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        const answer = await upgrade(conn, server.port, {
          "Sec-WebSocket-Protocol": `netwatch.v1, ${tokenProtocol(TOKEN)}`,
        });
        leakChecked.push(answer.head);
        assert.equal(answer.status, 101);
        assert.match(answer.head, /\r\nsec-websocket-protocol: netwatch\.v1\r\n/i);
      } finally {
        conn.close();
      }
      summary.push(`stream: ${attempts.length} wrong upgrades refused with 401, the right one 101`);
    });

    await t.step(
      "the dashboard page and its assets load without the token, with no data",
      async () => {
        for (const { method, path } of open) {
          if (path === "/login") continue;
          const assets = path.includes("{name}")
            ? [...(await (await fetch(`${server.base}/`)).text()).matchAll(/\/assets\/([\w.-]+)/g)]
              .map((m) => `/assets/${m[1]}`)
            : [path];
          assert.ok(assets.length > 0, `no assets named by the page for ${path}`);
          for (const asset of new Set(assets)) {
            const response = await fetch(server.base + asset, { method });
            const text = await response.text();
            leakChecked.push(text);
            assert.equal(response.status, 200, `${method} ${asset}`);
            for (const address of addresses) {
              assert.ok(!text.includes(address), `${asset} contains ${address}`);
            }
          }
        }
        const wrong = await fetch(`${server.base}/login`, {
          method: "POST",
          body: new URLSearchParams({ token: `${TOKEN}x` }),
          redirect: "manual",
        });
        const text = await wrong.text();
        leakChecked.push(text);
        assert.equal(wrong.status, 401);
        assert.equal(wrong.headers.get("set-cookie"), null);
      },
    );

    await t.step("wrong tokens of any length take about as long to refuse", async () => {
      // Classes from no token to 256 characters, and near misses of the real one. Requests are
      // interleaved (round by round, in a shuffled order) so drift on a shared machine hits all
      // classes alike. The comparison itself hashes both sides (SHA-256) and compares the digests
      // with timingSafeEqual, so the true difference is nanoseconds; over loopback HTTP this test
      // can only catch a gross regression (e.g. work proportional to a matching prefix), hence
      // the loose bound on medians.
      const classes: [string, Record<string, string>][] = [
        ["none", {}],
        ["1 char", { Authorization: "Bearer x" }],
        ["16 chars", { Authorization: `Bearer ${"y".repeat(16)}` }],
        ["length - 1, same prefix", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
        ["same length, last wrong", { Authorization: `Bearer ${TOKEN.slice(0, -1)}~` }],
        ["same length, first wrong", { Authorization: `Bearer ~${TOKEN.slice(1)}` }],
        ["2 x length", { Authorization: `Bearer ${TOKEN}${TOKEN}` }],
        ["256 chars", { Authorization: `Bearer ${"z".repeat(256)}` }],
      ];
      const times = classes.map(() => [] as number[]);
      const order = classes.map((_, i) => i);
      const target = `${server.base}/api/v1/health`;
      for (let i = 0; i < 20; i++) await (await fetch(target)).body?.cancel(); // warm up
      for (let round = 0; round < ROUNDS; round++) {
        order.sort(() => Math.random() - 0.5);
        for (const c of order) {
          const began = performance.now();
          const response = await fetch(target, { headers: classes[c][1] });
          await response.body?.cancel();
          times[c].push(performance.now() - began);
          assert.equal(response.status, 401);
        }
      }
      const medians = times.map((xs) => median(xs));
      const line = classes.map(([name], i) => `${name} ${(medians[i] * 1000).toFixed(0)} µs`)
        .join(", ");
      summary.push(`timing, median of ${ROUNDS} each: ${line}`);
      const ratio = Math.max(...medians) / Math.min(...medians);
      assert.ok(ratio < 1.5, `medians differ by ${ratio.toFixed(2)}x: ${line}`);
    });
  } finally {
    const code = await server.stop();
    const { stdout, stderr } = server.output();
    console.log(summary.join("\n"));
    assert.equal(code, 0, stderr);
    // The token, and the forms it travels in, never appear in what the server printed.
    const forms = [TOKEN, tokenProtocol(TOKEN).slice("netwatch.token.".length), TOKEN.slice(3)];
    for (const form of forms) {
      assert.ok(!stdout.includes(form), "token on stdout");
      assert.ok(!stderr.includes(form), `token on stderr: ${stderr}`);
    }
    assert.ok(!stderr.includes("k".repeat(100)), "a presented token was logged");
    const leaked = leakChecked.filter((text) => forms.some((form) => text.includes(form)));
    assert.deepEqual(leaked.map((text) => text.slice(0, 200)), [], "token in an answer");
    console.log(`${leakChecked.length} answers and ${stderr.split("\n").length} log lines checked`);
  }
});
