// Descriptor exhaustion: serve under a 1024-descriptor limit with 1,100 silent connections still
// answers /health, caps its connections with 503, and closes clients that never finish a request.

import assert from "node:assert/strict";
import { startServe } from "./helpers/serve.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { sleep, upgrade, writeAll } from "./reliability_server.ts";

const FILE = corpusPath("real/pcapplusplus_tls2.pcap");
const IDLE = 1100;

/** This process's soft limit on open files (the test holds 1,100 sockets itself). */
function ownFileLimit(): number {
  const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
    .find((l) => l.startsWith("Max open files"));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

/** Opens `n` TCP connections that send nothing; stops early if the server stops accepting. */
async function openIdle(port: number, n: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < n; i++) {
    try {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch {
      break; // refused: the listener is gone (what happened before the cap)
    }
  }
  return conns;
}

/** Resolves true when the peer closes `conn` (or resets it) within `ms`; reads what comes. */
async function closedWithin(
  conn: Deno.Conn,
  ms: number,
): Promise<{ closed: boolean; text: string }> {
  const buffer = new Uint8Array(4096);
  let text = "";
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const read = conn.read(buffer).then((n) => n, () => null);
    const n = await Promise.race([read, sleep(deadline - Date.now()).then(() => -1)]);
    if (n === null) return { closed: true, text };
    if (n === -1) return { closed: false, text };
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return { closed: false, text };
}

async function stats(base: string) {
  const response = await fetch(`${base}/api/v1/stats`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()).http;
}

Deno.test("under prlimit --nofile=1024, 1,100 idle connections leave /health answering", async () => {
  const own = ownFileLimit();
  if (own < IDLE + 200) {
    throw new Error(
      `This test holds ${IDLE} sockets but may open only ${own} files: run it with ulimit -n 4096`,
    );
  }
  const server = await startServe({
    file: FILE,
    prefix: ["prlimit", "--nofile=1024", "--"],
  });
  let idle: Deno.Conn[] = [];
  try {
    idle = await openIdle(server.port, IDLE);
    // Let the server accept (and refuse) the whole backlog.
    await sleep(1500);
    const health = await fetch(`${server.base}/api/v1/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    const http = await stats(server.base);
    assert.ok(http.max_connections < 1024, `cap ${http.max_connections} below the limit`);
    assert.ok(http.connections <= http.max_connections);
    // Every connection past the cap was answered 503 or made room by closing an idle one.
    assert.ok(
      http.connections_refused + http.connections_evicted >= IDLE - http.max_connections,
      JSON.stringify(http),
    );
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(
        `netwatch_http_connections_closed_total\\{reason="refused"\\} ${http.connections_refused}\\b`,
      ),
    );
    console.log(
      `${idle.length} idle connections under a 1024 limit: cap ${http.max_connections}, ` +
        `${http.connections_refused} refused, ${http.connections_evicted} evicted; /health 200`,
    );
  } finally {
    for (const conn of idle) {
      try {
        conn.close();
      } catch {
        // closed by the server
      }
    }
    const code = await server.stop();
    assert.equal(code, 0, `serve exited ${code}: ${server.output().stderr}`);
  }
  assert.doesNotMatch(server.output().stderr, /Too many open files|panicked|Uncaught/);
});

Deno.test("past --max-connections the newest gets 503 JSON; silent and slow clients are closed", async (t) => {
  const server = await startServe({ file: FILE, extra: ["--max-connections", "4"] });
  const open: Deno.Conn[] = [];
  try {
    await t.step("a fifth connection while four are fresh: 503 in the error shape", async () => {
      open.push(...await openIdle(server.port, 4));
      const fifth = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const { closed, text } = await closedWithin(fifth, 5000);
      fifth.close();
      assert.ok(closed, "the fifth connection was not closed");
      assert.match(text, /^HTTP\/1\.1 503 /);
      assert.match(text, /\{"error":\{"code":"too_many_connections","message":"[^"]+"\}\}$/);
    });

    await t.step("once they have idled a while, a new request gets through", async () => {
      await sleep(1500);
      const health = await fetch(`${server.base}/api/v1/health`, {
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(health.status, 200);
      await health.body?.cancel();
      const http = await stats(server.base);
      assert.ok(
        http.connections_refused >= 1 && http.connections_evicted >= 1,
        JSON.stringify(http),
      );
    });

    await t.step(
      "a client that trickles its head a byte a second is closed (slowloris)",
      async () => {
        for (const conn of open.splice(0)) conn.close();
        const before = await stats(server.base);
        const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        const head = new TextEncoder().encode(
          "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ",
        );
        let sent = 0;
        let closed = false;
        const deadline = Date.now() + 25_000;
        while (Date.now() < deadline && !closed) {
          try {
            await writeAll(slow, head.subarray(sent % head.length, (sent % head.length) + 1));
            sent++;
          } catch {
            closed = true;
            break;
          }
          closed = (await closedWithin(slow, 1000)).closed;
        }
        slow.close();
        assert.ok(closed, `still open after ${sent} bytes over 25 s`);
        const after = await stats(server.base);
        assert.ok(
          after.connections_timed_out > before.connections_timed_out,
          JSON.stringify(after),
        );
      },
    );
  } finally {
    for (const conn of open) conn.close();
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("a refused stream upgrade frees its connection at once, even if the client keeps it open", async () => {
  const server = await startServe({
    file: FILE,
    extra: ["--max-connections", "3", "--max-stream-connections", "1"],
  });
  const open: Deno.Conn[] = [];
  try {
    const stream = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    open.push(stream);
    assert.equal((await upgrade(stream, server.port)).status, 101);
    const refused = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    open.push(refused);
    const answer = await upgrade(refused, server.port);
    assert.equal(answer.status, 503);
    // This client never closes its end: the server closes it after the answer.
    assert.ok((await closedWithin(refused, 2000)).closed, "the refused connection stayed open");
    // So the cap (3: the stream plus two) leaves room for plain requests right away.
    for (let i = 0; i < 3; i++) {
      const health = await fetch(`${server.base}/api/v1/health`);
      await health.body?.cancel();
      assert.equal(health.status, 200, `request ${i}`);
    }
  } finally {
    for (const conn of open) conn.close();
    await server.stop();
  }
});

Deno.test("requests whose declared body never comes give way to the admin, then time out", async () => {
  const server = await startServe({ file: FILE, extra: ["--max-connections", "4"] });
  const stalled: Deno.Conn[] = [];
  try {
    // No token needed: /login reads a form, so its head alone made the connection "busy", never
    // evicted, for the 60 s request timeout; a few hundred of these locked everyone out.
    const head = new TextEncoder().encode(
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nt",
    );
    for (let i = 0; i < 4; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await writeAll(conn, head);
      stalled.push(conn);
    }
    await sleep(1500);
    const health = await fetch(`${server.base}/api/v1/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    await health.body?.cancel();
    assert.equal(health.status, 200, "a stalled body held the slot the admin needed");
    const http = await stats(server.base);
    assert.ok(http.connections_evicted >= 1, JSON.stringify(http));

    // The others are closed once the head timeout has passed without their bodies.
    const waits = await Promise.all(stalled.slice(1).map((conn) => closedWithin(conn, 25_000)));
    assert.ok(waits.every((w) => w.closed), "a stalled body kept its connection 25 s");
    const after = await stats(server.base);
    assert.ok(after.connections_timed_out >= 1, JSON.stringify(after));
  } finally {
    for (const conn of stalled) conn.close();
    assert.equal(await server.stop(), 0);
  }
});
