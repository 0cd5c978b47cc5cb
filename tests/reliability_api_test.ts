// Thousands of randomised bad requests over real HTTP to `netwatch serve`: every answer is a 4xx
// in the JSON error shape, none is a 5xx, and the server stays healthy. Seeded (printed).

import assert from "node:assert/strict";
import { corpusPath } from "./helpers/corpus.ts";
import { prng, rawRequest, seedFromEnv, waitForState, writeAll } from "./reliability_server.ts";
import { type ServeProcess, startServe } from "./helpers/serve.ts";

const CAPTURE = corpusPath("real/ndpi_iphone.pcap");
const REQUESTS = Number(Deno.env.get("NETWATCH_RELIABILITY_REQUESTS") ?? 3000);
const PARALLEL = 8;

/** A request that must fail, and the statuses it may fail with. */
interface BadRequest {
  kind: string;
  method: string;
  path: string;
  body?: string;
  statuses: number[];
}

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const int = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/** Values no whole-number parameter accepts (ranges are checked separately). */
const NOT_WHOLE = [
  "",
  "-1",
  "-0",
  "1.5",
  "1e3",
  "0x10",
  " 5",
  "5 ",
  "+5",
  "NaN",
  "Infinity",
  "-Infinity",
  "99999999999999999",
  "1".repeat(40),
  "１",
  "[]",
  "{}",
  "true",
  "null",
  "%ZZ",
  "%2D1",
  "%00",
  "5%00",
  "٣",
];
const NOT_ADDRESS = [
  "10.0.0.0/33",
  "::/129",
  "::/200",
  "256.1.1.1",
  "1.2.3",
  "1.2.3.4.5",
  "10.0.0.1/-1",
  "10.0.0.0/",
  "10.0.0.0/8/8",
  "/8",
  "*",
  "",
  "fe80::1%25eth0",
  ":::",
  "1::2::3",
  "gggg::1",
  "10.0.0.0%2F33",
  "a".repeat(101),
  "1".repeat(300),
  "localhost",
  "%FF%FE",
  "10.0.0.1%00",
];
const NOT_EPOCH = [
  "-1",
  "1e9",
  "abc",
  "1700000000.1234567891",
  "9999999999999",
  "1700000000.",
  ".5",
  "",
  "17e8",
  "%31%2E%2E",
];
const WORDS = ["", "x", "BYTES", "Bytes", "bytes ", " desc", "__proto__", "constructor", "%ZZ"];
const ODD = ["%", "%0", "%ZZ", "%FF", "%C0%80", "%E0%A4", "%ED%A0%80", "%2525", "+", "☃", "\u0000"];

/** Whole-number parameters and their ranges (schemas.ts). */
const RANGES: Record<string, Record<string, [number, number]>> = {
  flows: { port: [0, 65535], vlan: [0, 4095], limit: [1, 1000], offset: [0, 100000] },
  series: { step: [1, 86400] },
  talkers: { limit: [1, 1000] },
};
const ENUMS: Record<string, Record<string, string[]>> = {
  flows: {
    sort: ["bytes", "packets", "duration", "first", "last", "rate"],
    order: ["asc", "desc"],
    active: ["true", "false"],
    format: ["json", "csv"],
    service: ["http", "dns"],
    state: ["SF", "S0"],
  },
  series: { metric: ["bps", "pps"], breakdown: ["none", "protocol", "service"] },
  talkers: { window: ["now", "1m", "5m"], by: ["bytes", "packets", "sent", "received"] },
  protocols: { window: ["now", "1m", "5m", "15m", "60m"] },
};
const ROUTES = ["flows", "series", "talkers", "protocols"];
const NO_PARAMS = ["/api/v1/health", "/api/v1/stats", "/api/v1/interfaces", "/metrics"];

/** A valid parameter of `route`, to surround the bad one with. */
function goodParam(rnd: Rnd, route: string): string {
  const enums = ENUMS[route];
  const name = pick(rnd, Object.keys(enums));
  return `${name}=${pick(rnd, enums[name])}`;
}

/** One bad query parameter for `route` (guaranteed rejected). */
function badParam(rnd: Rnd, route: string): { kind: string; text: string } {
  const ranges = RANGES[route] ?? {};
  const choices: (() => { kind: string; text: string })[] = [
    () => ({
      kind: "unknown parameter",
      text: `${pick(rnd, ["x", "limitt", "Limit", "__proto__", "a[]", "%ZZ", "☃", "q.q"])}=1`,
    }),
  ];
  if (Object.keys(ranges).length) {
    choices.push(
      () => ({
        kind: "wrong type",
        text: `${pick(rnd, Object.keys(ranges))}=${
          encodeURIComponent(pick(rnd, NOT_WHOLE)).replaceAll("%25", "%")
        }`,
      }),
      () => {
        const name = pick(rnd, Object.keys(ranges));
        const [lo, hi] = ranges[name];
        const value = rnd() < 0.5 ? lo - int(rnd, 1, 10) : hi + int(rnd, 1, 1e9);
        return { kind: value < 0 ? "negative number" : "huge number", text: `${name}=${value}` };
      },
    );
  }
  const enums = ENUMS[route];
  choices.push(() => {
    const name = pick(rnd, Object.keys(enums));
    const word = pick(rnd, [...WORDS, pick(rnd, enums[name]).toUpperCase() + "x"]);
    return {
      kind: name === "sort" ? "unknown sort key" : "bad enum",
      text: `${name}=${encodeURIComponent(word)}`,
    };
  });
  choices.push(() => {
    const name = pick(rnd, Object.keys(enums));
    const value = pick(rnd, enums[name]);
    return { kind: "repeated parameter", text: `${name}=${value}&${name}=${value}` };
  });
  if (route === "flows") {
    choices.push(
      () => ({
        kind: "invalid CIDR",
        text: `${pick(rnd, ["host", "src", "dst"])}=${pick(rnd, NOT_ADDRESS)}`,
      }),
      () => ({
        kind: "bad proto",
        text: `proto=${pick(rnd, ["tcpx", "256", "-1", "1.5", "p".repeat(21), "%FF"])}`,
      }),
      () => ({
        kind: "huge number",
        text: `min_bytes=${pick(rnd, ["9007199254740992", "1e30", "-5", "99999999999999999"])}`,
      }),
      () => ({ kind: "long text", text: `q=${"q".repeat(int(rnd, 101, 2000))}` }),
      () => ({ kind: "bad cursor", text: `cursor=${badCursor(rnd)}` }),
      () => ({
        kind: "unknown sort key",
        text: `sort=${
          pick(rnd, ["size", "id", "src_ip", "-bytes", "bytes,packets", "Rate", "%ZZ", ""])
        }`,
      }),
      () => ({ kind: "bad epoch", text: `${pick(rnd, ["from", "to"])}=${pick(rnd, NOT_EPOCH)}` }),
      () => ({ kind: "odd encoding", text: `limit=${pick(rnd, ODD)}${int(rnd, 0, 9)}` }),
      () => ({ kind: "odd encoding", text: `${pick(rnd, ODD)}=${pick(rnd, ODD)}` }),
    );
  }
  if (route === "series") {
    choices.push(
      () => ({ kind: "bad epoch", text: `${pick(rnd, ["from", "to"])}=${pick(rnd, NOT_EPOCH)}` }),
      () => ({ kind: "bad range", text: `from=${int(rnd, 1e9, 2e9)}&to=${int(rnd, 0, 1e9 - 1)}` }),
      () => ({ kind: "too many points", text: `from=0&to=${int(rnd, 1e9, 9e11)}&step=1` }),
    );
  }
  return pick(rnd, choices)();
}

function badCursor(rnd: Rnd): string {
  const garbage = Array.from(
    { length: int(rnd, 1, 60) },
    () => String.fromCharCode(int(rnd, 33, 126)),
  )
    .join("");
  return encodeURIComponent(pick(rnd, [
    garbage,
    btoa("bytes|asc|1|1"), // made for another sort: the request sorts by last, desc
    btoa("last|desc|x|y"),
    btoa("last|desc|1"),
    btoa("last|desc|Infinity|1"),
    btoa("last|desc|1|2|3"),
    "!!!!",
    "A".repeat(201),
    "%ZZ",
  ]));
}

/** The next bad request. */
function badRequest(rnd: Rnd): BadRequest {
  const r = rnd();
  if (r < 0.62) {
    const route = pick(rnd, ROUTES);
    const bad = badParam(rnd, route);
    const parts = [bad.text];
    for (let n = int(rnd, 0, 2); n > 0; n--) parts.push(goodParam(rnd, route));
    // Keep the bad one while shuffling, so the answer cannot depend on parameter order.
    parts.sort(() => rnd() - 0.5);
    // A sort other than last would make a cursor from another sort look right: leave it out.
    const query = bad.kind === "bad cursor"
      ? parts.filter((p) => p === bad.text || !/^(sort|order)=/.test(p))
      : parts;
    return {
      kind: bad.kind,
      method: "GET",
      path: `/api/v1/${route}?${query.join("&")}`,
      statuses: [400],
    };
  }
  if (r < 0.68) {
    return {
      kind: "parameter on a route without any",
      method: "GET",
      path: `${pick(rnd, NO_PARAMS)}?${
        pick(rnd, ["x=1", "limit=5", "token=a", "%ZZ=", "a=b&a=b"])
      }`,
      statuses: [400],
    };
  }
  if (r < 0.74) {
    const length = int(rnd, 8300, 60_000);
    return {
      kind: "oversized query string",
      method: "GET",
      path: `/api/v1/${pick(rnd, ROUTES)}?q=${"a".repeat(length)}`,
      statuses: [414],
    };
  }
  if (r < 0.82) {
    const id = pick(rnd, [
      "0",
      "-1",
      "abc",
      "1.5",
      "99999999999999999999",
      "%FF",
      "%00",
      "1%2F2",
      "1e3",
      " 1",
      "0x1",
    ]);
    return { kind: "bad flow id", method: "GET", path: `/api/v1/flows/${id}`, statuses: [400] };
  }
  if (r < 0.84) {
    const id = int(rnd, 100_000, 2 ** 40);
    return { kind: "unknown flow id", method: "GET", path: `/api/v1/flows/${id}`, statuses: [404] };
  }
  if (r < 0.92) {
    const path = pick(rnd, [
      "/api/v1/nothing",
      "/api/v2/flows",
      "/api/v1/flows/1/extra",
      "/api/v1/health/",
      "/api/v1/",
      "/api",
      "/api/v1/flows%2F1",
      "/api/v1/%2e%2e/metrics",
      "/api/v1/" + "x".repeat(int(rnd, 1, 4000)),
      "/metrics/x",
      "/assets/%2e%2e%2fdeno.json",
      "/assets/nothing.js",
      "/api/v1/FLOWS",
      "/api/v1/stream/x",
      `/x${pick(rnd, ODD)}`, // (a bare "/\0" is "/" once the URL parser strips controls)
    ]);
    return { kind: "unknown route", method: "GET", path, statuses: [404] };
  }
  const method = pick(rnd, ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
  return {
    kind: "bad method",
    method,
    path: pick(rnd, [...NO_PARAMS, "/api/v1/flows", "/api/v1/flows/1", "/api/v1/openapi.json"]),
    body: method === "OPTIONS" || method === "DELETE"
      ? undefined
      : pick(rnd, ["", "{}", "x=1", "\u0000".repeat(100)]),
    statuses: [404, 405],
  };
}

/** Checks one answer; returns a failure line or undefined. */
async function send(
  base: string,
  request: BadRequest,
): Promise<{ status: number; failure?: string }> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    body: request.body,
    signal: AbortSignal.timeout(15_000),
  });
  const where = `${request.kind}: ${request.method} ${request.path.slice(0, 200)}`;
  const text = await response.text();
  if (!request.statuses.includes(response.status)) {
    return {
      status: response.status,
      failure: `${where} -> ${response.status} (want ${request.statuses}) ${text.slice(0, 200)}`,
    };
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      status: response.status,
      failure: `${where} -> ${response.status}, not JSON: ${text.slice(0, 200)}`,
    };
  }
  const ok = /^application\/json/.test(response.headers.get("content-type") ?? "") &&
    Object.keys(body).join() === "error" &&
    Object.keys(body.error).sort().join() === "code,message" &&
    typeof body.error.code === "string" && body.error.code !== "" &&
    typeof body.error.message === "string" && body.error.message !== "" &&
    body.error.message.length <= 1000;
  return ok ? { status: response.status } : {
    status: response.status,
    failure: `${where} -> ${response.status}, not the error shape: ${text.slice(0, 200)}`,
  };
}

/** Sends raw bytes and reads the status line (or null when the server just closes). */
async function rawStatus(port: number, bytes: Uint8Array): Promise<number | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, bytes).catch(() => {});
    const buffer = new Uint8Array(4096);
    let text = "";
    const timer = setTimeout(() => conn.close(), 5000);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
        if (text.includes("\r\n")) break;
      }
    } catch {
      // reset by the server after its answer, or closed by the timer
    } finally {
      clearTimeout(timer);
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
    return status ? Number(status) : null;
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

async function rss(base: string): Promise<number> {
  return (await (await fetch(`${base}/api/v1/stats`)).json()).memory.rss_bytes;
}

Deno.test(`serve answers ${REQUESTS} randomised bad requests with 4xx JSON errors, never 5xx`, async () => {
  const seed = seedFromEnv("reliability_api", 1729);
  const rnd = prng(seed);
  const server: ServeProcess = await startServe({ file: CAPTURE });
  try {
    await waitForState(server.base, ["ended"], 30_000);
    const rssBefore = await rss(server.base);
    const requests = Array.from({ length: REQUESTS }, () => badRequest(rnd));
    const byKind = new Map<string, number>();
    const byStatus = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < requests.length) {
        const request = requests[next++];
        const { status, failure } = await send(server.base, request);
        byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        if (failure) failures.push(failure);
      }
    }));
    console.log(`by kind: ${JSON.stringify(Object.fromEntries([...byKind].sort()))}`);
    console.log(`by status: ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${REQUESTS} failed`);
    assert.ok([...byStatus.keys()].every((s) => s >= 400 && s < 500));

    // Requests Deno's HTTP parser refuses before the app sees them: a 400 with no body, or a
    // closed connection; never a 5xx, and the server carries on.
    const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const raw = [
      "GET /api/v1/fl\xffows HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /api/v1/flows?q=\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
      `GET /api/v1/flows?q=${"a".repeat(1_000_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(1_000_000)}\r\n\r\n`,
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET /api/v1/health HTTP/9.9\r\nHost: x\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "\x00\x01\x02\x03\r\n\r\n",
    ];
    const rawStatuses: (number | null)[] = [];
    for (const request of raw) rawStatuses.push(await rawStatus(server.port, latin1(request)));
    console.log(`raw protocol errors: ${JSON.stringify(rawStatuses)}`);
    for (const [i, status] of rawStatuses.entries()) {
      assert.ok(status === null || (status >= 400 && status < 500), `raw ${i}: ${status}`);
    }
    // Requests the HTTP adapter cannot make a URL of get the API's JSON shape, not an empty 400.
    for (
      const [path, host] of [["/api\\v1/health", "127.0.0.1"], [
        "/api/v1/health",
        "[::ffff:127.0.0.1]",
      ]]
    ) {
      const answer = await rawRequest(server.port, "GET", path, { Host: host });
      assert.equal(answer.status, 400, answer.head);
      assert.match(answer.body, /^\{"error":\{"code":"bad_request","message":"Unreadable/);
    }

    const health = await (await fetch(`${server.base}/api/v1/health`)).json();
    assert.equal(health.status, "ok");
    const flows = await fetch(`${server.base}/api/v1/flows?limit=5`);
    assert.equal(flows.status, 200);
    assert.equal((await flows.json()).flows.length, 5);
    const rssAfter = await rss(server.base);
    console.log(
      `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.ok(rssAfter < rssBefore + 100 * 2 ** 20, "RSS grew by more than 100 MiB");
    assert.equal(await server.stop(), 0);
    const { stderr } = server.output();
    assert.doesNotMatch(stderr, /failed:|^\s+at /m, "the server logged an internal error");
  } finally {
    await server.stop();
  }
});
