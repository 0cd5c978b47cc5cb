// Pipelined HTTP/1.1 requests: a client that writes thousands and reads nothing must not make
// the server compute and buffer every answer; one that reads gets them all, in order.

import assert from "node:assert/strict";
import { startServer } from "./helpers/serve.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { sleep, writeAll } from "./reliability_server.ts";

const FILE = corpusPath("real/ndpi_iphone.pcap");
const MIB = 1 << 20;

/** Resident memory of process `pid`, in bytes. */
function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

/** `n` requests for `paths` in turn, as one byte string. */
function pipelined(paths: string[], n: number): Uint8Array {
  let text = "";
  for (let i = 0; i < n; i++) {
    text += `GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  }
  return new TextEncoder().encode(text);
}

Deno.test("thousands of pipelined requests that are never read do not pile up answers", async () => {
  const server = await startServer(FILE);
  const conns: Deno.Conn[] = [];
  try {
    const pid = server.child.pid;
    const before = rss(pid);
    // Each answer is every flow of the capture (a few hundred KB of JSON).
    const burst = pipelined(["/api/v1/flows?limit=1000"], 5000);
    for (let i = 0; i < 4; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      writeAll(conn, burst).catch(() => {}); // blocks once the server stops reading: expected
    }
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      peak = Math.max(peak, rss(pid));
    }
    const health = await fetch(`${server.base}/api/v1/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.ok(
      peak - before < 300 * MIB,
      `RSS grew ${((peak - before) / MIB).toFixed(0)} MiB while 20,000 answers went unread`,
    );
  } finally {
    for (const conn of conns) conn.close();
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("a client that pipelines 600 requests and reads gets every answer in order", async () => {
  const server = await startServer(FILE);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const paths = ["/api/v1/health", "/metrics"];
    const n = 600;
    const writing = writeAll(conn, pipelined(paths, n));
    let text = "";
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    const deadline = Date.now() + 60_000;
    // An answer's head may follow the previous body on the same line (JSON has no last newline).
    while ((text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0) < n && Date.now() < deadline) {
      const read = await conn.read(buffer);
      if (read === null) break;
      text += decoder.decode(buffer.subarray(0, read), { stream: true });
    }
    await writing;
    const heads = [...text.matchAll(/HTTP\/1\.1 (\d{3}) [^]*?\r\n\r\n([^])/g)];
    assert.equal(heads.length, n, `${heads.length} answers of ${n}`);
    heads.forEach((head, i) => {
      assert.equal(head[1], "200", `answer ${i}`);
      assert.equal(head[2], i % 2 === 0 ? "{" : "#", `answer ${i} is not for ${paths[i % 2]}`);
    });
  } finally {
    conn.close();
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("clients that ask and never read their answers give way to the admin", async () => {
  const server = await startServer(FILE, ["--max-connections", "4"]);
  // A fresh connection per request: a kept-alive one would let the admin in through the pool.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const conns: Deno.Conn[] = [];
  try {
    await sleep(1500); // the start-up poll's kept-alive connection is evictable by then
    // 300 answers of every flow each: more than the kernel's buffers hold, so writes stall.
    const burst = pipelined(["/api/v1/flows?limit=1000"], 300);
    for (let i = 0; i < 6; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      writeAll(conn, burst).catch(() => {});
    }
    // Before, such connections stayed "busy" until the 60 s request timeout: 503 until then.
    let http: { connections_evicted: number } | undefined;
    for (let i = 0; i < 50 && !http; i++) {
      await sleep(500);
      const stats = await fetch(`${server.base}/api/v1/stats`, {
        client,
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (stats?.status === 200) http = (await stats.json()).http;
      else await stats?.body?.cancel();
    }
    assert.ok(http, "unread answers held every slot for 25 s");
    assert.ok(http.connections_evicted >= 2, JSON.stringify(http));
  } finally {
    client.close();
    for (const conn of conns) conn.close();
    assert.equal(await server.stop(), 0);
  }
});
