// createApp() over a synthetic monitor: routes, OpenAPI coverage, errors, and no 500 on any input.

import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { LocalMonitor, sampleMonitor } from "../tests/helpers/local_monitor.ts";

const T0 = 1_700_000_000;

function app(monitor = sampleMonitor(T0), token?: string) {
  return createApp({
    monitor,
    version: "9.9.9",
    token,
    memory: () => ({ rss: 1, heapUsed: 2, heapTotal: 3 }),
  });
}

Deno.test("createApp() serves flows filtered, sorted and paged from the engine", async () => {
  const a = app();
  try {
    const all = await (await a.app.request("/api/v1/flows?sort=bytes&limit=1000")).json();
    assert.equal(all.total, 6);
    assert.equal(all.flows[0].service, "https");
    const udp = await (await a.app.request("/api/v1/flows?proto=udp&vlan=42")).json();
    assert.deepEqual(udp.flows.map((f: { dst_port: number }) => f.dst_port), [5678]);
    const v6 = await (await a.app.request("/api/v1/flows?host=2001:db8::/32")).json();
    assert.equal(v6.total, 1);
    const page = await (await a.app.request("/api/v1/flows?sort=bytes&limit=2")).json();
    const next =
      await (await a.app.request(`/api/v1/flows?sort=bytes&limit=2&cursor=${page.next_cursor}`))
        .json();
    assert.deepEqual(
      next.flows.map((f: { id: number }) => f.id),
      all.flows.slice(2, 4).map((f: { id: number }) => f.id),
    );
  } finally {
    a.close();
  }
});

Deno.test("createApp() answers a host in the API's spelling of its address, whatever was typed", async () => {
  const a = app();
  try {
    for (const typed of ["2001:DB8:0:0:0:0:0:1", "2001:0db8::0001", "2001:db8::1"]) {
      const response = await a.app.request(`/api/v1/hosts/${typed}`);
      assert.equal(response.status, 200, typed);
      assert.equal((await response.json()).address, "2001:db8::1", typed);
    }
  } finally {
    a.close();
  }
});

Deno.test("createApp() takes connection states in any case", async () => {
  const a = app();
  try {
    const upper = await (await a.app.request("/api/v1/flows?state=OTH")).json();
    const lower = await (await a.app.request("/api/v1/flows?state=oth")).json();
    assert.ok(upper.total > 0);
    assert.deepEqual(lower, upper);
    const bad = await a.app.request("/api/v1/flows?state=maybe");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /state "maybe": expected one of S0, /);
  } finally {
    a.close();
  }
});

Deno.test("createApp() documents every route it serves in openapi.json, and only those", async () => {
  const a = app();
  try {
    const doc = await (await a.app.request("/api/v1/openapi.json")).json();
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
      for (const method of Object.keys(methods)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set(
      a.app.routes
        .filter((r) => r.method !== "ALL" && r.path !== "/api/v1/openapi.json")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    assert.deepEqual([...served].sort(), [...documented].sort());
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.info.version, "9.9.9");
  } finally {
    a.close();
  }
});

Deno.test("createApp() answers randomised bad requests with 4xx JSON, never 500", async () => {
  const a = app();
  const params = [
    "host",
    "src",
    "dst",
    "port",
    "proto",
    "vlan",
    "service",
    "state",
    "active",
    "min_bytes",
    "from",
    "to",
    "q",
    "sort",
    "order",
    "limit",
    "offset",
    "cursor",
    "format",
    "metric",
    "breakdown",
    "step",
    "window",
    "by",
    "id",
    "x",
  ];
  const values = [
    "",
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999",
    "1.5",
    "%00",
    "%ZZ",
    "%E0%A4",
    "10.0.0.0/33",
    "::/200",
    "abc",
    "[]",
    "{}",
    "true",
    "tcp",
    "1/2/3",
    "☃",
    "a".repeat(500),
    "'; DROP",
    "0x10",
    " 5",
    "5 ",
  ];
  const paths = [
    "/api/v1/flows",
    "/api/v1/series",
    "/api/v1/talkers",
    "/api/v1/protocols",
    "/api/v1/stats",
    "/api/v1/health",
    "/metrics",
    "/api/v1/flows/1",
    "/api/v1/flows/%FF",
  ];
  let seed = 42;
  const pick = <T>(xs: T[]) => xs[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % xs.length];
  try {
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 3);
      const query = Array.from({ length: n }, () => `${pick(params)}=${pick(values)}`).join("&");
      const url = `${pick(paths)}?${query}`;
      const response = await a.app.request(url);
      assert.ok(response.status < 500, `${url}: ${response.status}`);
      if (response.status >= 400) {
        const body = await response.json();
        assert.equal(typeof body.error.code, "string", url);
        assert.equal(typeof body.error.message, "string", url);
      } else {
        await response.body?.cancel();
      }
    }
  } finally {
    a.close();
  }
});

Deno.test("createApp() reports a failed capture in /health and keeps serving", async () => {
  const m = new LocalMonitor();
  m.state = "error";
  m.error = { kind: "no_device", message: 'Cannot capture on "eth9": no such device' };
  const a = app(m);
  try {
    const response = await a.app.request("/api/v1/health");
    assert.equal(response.status, 503, "a probe reading only the code sees the failure");
    const health = await response.json();
    assert.equal(health.status, "error");
    assert.deepEqual(health.capture.error, m.error);
    assert.equal((await a.app.request("/api/v1/flows")).status, 200);
  } finally {
    a.close();
  }
});

Deno.test("createApp() with a token guards /api and /metrics but not / or /login", async () => {
  const a = app(sampleMonitor(T0), "tok");
  try {
    for (
      const path of [
        "/api/v1/health",
        "/api/v1/flows",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/stream",
      ]
    ) {
      const response = await a.app.request(path);
      assert.equal(response.status, 401, path);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="netwatch"');
      assert.equal((await response.json()).error.code, "unauthorized");
    }
    assert.equal(
      (await a.app.request("/api/v1/health", { headers: { Authorization: "Bearer tok" } })).status,
      200,
    );
    // A wrong token gets the same answer as none, and it says it may be either.
    const wrong = await a.app.request("/api/v1/health", { headers: { Authorization: "Bearer x" } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("www-authenticate"), 'Bearer realm="netwatch"');
    const missing = await a.app.request("/api/v1/health");
    assert.deepEqual(await wrong.json(), await missing.json());
    assert.match(
      (await (await a.app.request("/api/v1/flows")).json()).error.message,
      /^The token was missing or wrong/,
    );
    assert.equal((await a.app.request("/")).status, 200);
  } finally {
    a.close();
  }
});
