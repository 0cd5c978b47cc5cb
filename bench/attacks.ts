// The attacks of issue 18 against a real `serve`, with figures for RELIABILITY.md. Short runs.
//
//   deno run --allow-all bench/attacks.ts [connections|rebinding|replay|logins]...
//
// (The stream starvation figure comes from bench/stream_budget.ts.)

import { setTimeout as sleep } from "node:timers/promises";
import { corpusPath } from "../tests/helpers/corpus.ts";
import { launchServe, type ServeProcess, startServe } from "../tests/helpers/serve.ts";

const FILE = corpusPath("real/pcapplusplus_tls2.pcap");

/** Times one request; "failed: ..." when it does not answer in 10 s. */
async function timed(url: string, init: RequestInit = {}): Promise<string> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return `${response.status} in ${(performance.now() - started).toFixed(1)} ms`;
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

/** Whether the process is still running after `ms`. */
async function alive(server: ServeProcess, ms: number): Promise<boolean> {
  return await Promise.race([server.exited.then(() => false), sleep(ms).then(() => true)]);
}

async function connections(): Promise<void> {
  const server = await startServe({ file: FILE, prefix: ["prlimit", "--nofile=1024", "--"] });
  const conns: Deno.Conn[] = [];
  try {
    const started = performance.now();
    for (let i = 0; i < 1100; i++) {
      try {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      } catch {
        break;
      }
    }
    console.log(
      `connections: opened ${conns.length} idle in ${(performance.now() - started).toFixed(0)} ms`,
    );
    await sleep(1500);
    console.log(`connections: /health ${await timed(`${server.base}/api/v1/health`)}`);
    const stats = await fetch(`${server.base}/api/v1/stats`).then((r) => r.json()).catch(
      () => ({}),
    );
    console.log(`connections: http ${JSON.stringify(stats.http)}`);
    await sleep(11_000); // past the 10 s header timeout
    const after = await fetch(`${server.base}/api/v1/stats`).then((r) => r.json()).catch(
      () => ({}),
    );
    console.log(`connections: after 12.5 s: http ${JSON.stringify(after.http)}`);
    console.log(`connections: process alive: ${await alive(server, 100)}`);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // closed by the server
      }
    }
    await server.stop();
    const lines = server.output().stderr.trim().split("\n");
    console.log(`connections: stderr ${lines.length} lines, last: ${lines.at(-1)}`);
  }
}

async function raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0];
  } finally {
    conn.close();
  }
}

async function rebinding(): Promise<void> {
  const server = await startServe({ file: FILE });
  try {
    const port = server.port;
    const key = btoa("0123456789abcdef");
    console.log(
      "rebinding: GET /api/v1/flows with Host attacker.example: " +
        await raw(port, `GET /api/v1/flows HTTP/1.1\r\nHost: attacker.example:${port}\r\n\r\n`),
    );
    console.log(
      "rebinding: stream upgrade with Origin https://evil.example: " +
        await raw(
          port,
          `GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
            "Origin: https://evil.example\r\n\r\n",
        ),
    );
  } finally {
    await server.stop();
  }
}

async function replay(): Promise<void> {
  const server = await startServe({ file: corpusPath("real/ndpi_sites.pcapng"), speed: 1 });
  try {
    await sleep(10_000);
    const stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
    console.log(`replay: --speed 1, after 10 s: ${stats.capture.packets} packets`);
  } finally {
    await server.stop();
    const { stderr } = server.output();
    console.log(
      `replay: stderr ${stderr.split("\n").length - 1} lines, ` +
        `${(stderr.match(/TimeoutOverflowWarning/g) ?? []).length} TimeoutOverflowWarning`,
    );
  }
  const started = await launchServe({ file: FILE, speed: 1e-308 });
  if (!started.serving) {
    console.log(`replay: --speed 1e-308: exit ${started.code}: ${started.stderr.trim()}`);
  } else {
    console.log("replay: --speed 1e-308 accepted");
    await started.server.stop();
  }
}

async function logins(): Promise<void> {
  const token = crypto.randomUUID();
  const server = await startServe({ file: FILE, extra: ["--token", token] });
  try {
    const counts = new Map<number, number>();
    const end = performance.now() + 5000;
    let n = 0;
    while (performance.now() < end) {
      const response = await fetch(`${server.base}/login`, {
        method: "POST",
        body: new URLSearchParams({ token: `guess-${n++}` }),
        redirect: "manual",
      });
      await response.body?.cancel();
      counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    }
    console.log(`logins: ${n} wrong guesses in 5 s: ${JSON.stringify(Object.fromEntries(counts))}`);
    await sleep(2000);
    const metrics = await (await fetch(`${server.base}/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    })).text();
    console.log(
      `logins: ${/^netwatch_login_failures_total .*$/m.exec(metrics)?.[0] ?? "(no counter)"}`,
    );
  } finally {
    await server.stop();
    const lines = server.output().stderr.split("\n").filter((l) => /wrong tokens/.test(l));
    console.log(`logins: ${lines.length} log line(s): ${lines[0] ?? ""}`);
  }
}

const ATTACKS: Record<string, () => Promise<void>> = { connections, rebinding, replay, logins };
for (const name of Deno.args.length ? Deno.args : Object.keys(ATTACKS)) {
  if (!ATTACKS[name]) {
    throw new Error(`Unknown attack "${name}": ${Object.keys(ATTACKS).join(", ")}`);
  }
  await ATTACKS[name]();
}
