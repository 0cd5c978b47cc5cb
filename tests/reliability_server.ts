// Helpers of the reliability tests: a `netwatch serve` process whose whole output is kept, a
// seeded PRNG, medians, and a WebSocket handshake over a raw socket.

import { cliCommand } from "./helpers/cli.ts";
import { freePort } from "./helpers/serve.ts";

/** A serve process with stdout and stderr captured, for checks on what it printed. */
export interface ReliabilityServer {
  base: string;
  port: number;
  child: Deno.ChildProcess;
  /** Everything written so far on stdout and stderr (complete once `exited` resolves). */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code when the process ends on its own or is stopped. */
  exited: Promise<number>;
  /** SIGTERM (SIGKILL after `graceMs`), then the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** The outcome of starting: serving, or exited before it said so. */
export type StartResult =
  | { serving: true; server: ReliabilityServer }
  | { serving: false; code: number; stdout: string; stderr: string };

/**
 * Runs `netwatch serve --read FILE --speed max --listen 127.0.0.1:<free port>` plus `extra`, and
 * waits (at most `timeoutMs`) for its "serving" line or its exit.
 */
export async function startServe(
  file: string,
  extra: string[] = [],
  timeoutMs = 30_000,
): Promise<StartResult> {
  const port = freePort();
  const [program, ...lead] = cliCommand();
  const child = new Deno.Command(program, {
    args: [
      ...lead,
      "serve",
      "--read",
      file,
      "--speed",
      "max",
      "--listen",
      `127.0.0.1:${port}`,
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const text = { stdout: "", stderr: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text[key] += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  const exited = child.status.then(async (s) => {
    await pumped;
    return s.code;
  });
  let done = false;
  exited.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (!/netwatch: serving http:/.test(text.stderr)) {
    if (done) return { serving: false, code: await exited, ...text };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`serve ${file} neither served nor exited in ${timeoutMs} ms: ${text.stderr}`);
    }
    await sleep(20);
  }
  let stopping: Promise<number> | undefined;
  return {
    serving: true,
    server: {
      base: `http://127.0.0.1:${port}`,
      port,
      child,
      output: () => ({ ...text }),
      exited,
      stop(graceMs = 10_000) {
        stopping ??= (async () => {
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
          const timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch {
              // exited in time
            }
          }, graceMs);
          try {
            return await exited;
          } finally {
            clearTimeout(timer);
          }
        })();
        return stopping;
      },
    },
  };
}

/** startServe() that must serve. */
export async function mustServe(file: string, extra: string[] = []): Promise<ReliabilityServer> {
  const started = await startServe(file, extra);
  if (!started.serving) {
    throw new Error(`serve ${file} exited ${started.code}: ${started.stderr}`);
  }
  return started.server;
}

/** Polls /api/v1/health until the capture state is one of `states`; returns the last health. */
export async function waitForState(
  base: string,
  states: string[],
  timeoutMs: number,
  headers: HeadersInit = {},
): Promise<{ status: string; capture: { state: string; error: { message: string } | null } }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await (await fetch(`${base}/api/v1/health`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    })).json();
    if (states.includes(health.capture?.state)) return health;
    if (Date.now() > deadline) {
      throw new Error(`capture state never became ${states.join("|")}: ${JSON.stringify(health)}`);
    }
    await sleep(50);
  }
}

/** The seed from NETWATCH_RELIABILITY_SEED ("random" for a fresh one), or `fallback`; printed. */
export function seedFromEnv(what: string, fallback: number): number {
  const setting = Deno.env.get("NETWATCH_RELIABILITY_SEED");
  const seed = setting === "random"
    ? Math.floor(Math.random() * 2 ** 31)
    : setting
    ? Number(setting)
    : fallback;
  console.log(`${what} seed: ${seed} (set NETWATCH_RELIABILITY_SEED to repeat or vary)`);
  return seed;
}

/** The shared seedable PRNG, under the name these tests use. */
export { mulberry32 as prng } from "./helpers/random.ts";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/**
 * Sends a WebSocket upgrade request for /api/v1/stream over `conn` with `headers` added, and
 * reads the response head (byte by byte, so no frame bytes are consumed). Returns the status
 * and the head; for a refusal, also the body (up to `Content-Length`).
 */
export async function upgrade(
  conn: Deno.Conn,
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; head: string; body: string }> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  await writeAll(
    conn,
    new TextEncoder().encode(
      `GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        `${extra}\r\n`,
    ),
  );
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if ((await conn.read(one)) === null) throw new Error(`closed during handshake: ${head}`);
    head += String.fromCharCode(one[0]);
  }
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let body = "";
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  if (status !== 101 && length > 0) {
    const bytes = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = await conn.read(bytes.subarray(got));
      if (n === null) break;
      got += n;
    }
    body = new TextDecoder().decode(bytes.subarray(0, got));
  }
  return { status, head, body };
}

/** A masked client frame (RFC 6455 5.2) with `opcode` and `payload`; `claimedLength` lies. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; claimedLength?: bigint } = {},
): Uint8Array {
  const length = options.claimedLength ?? BigInt(payload.length);
  const head: number[] = [(options.fin === false ? 0 : 0x80) | opcode];
  if (length < 126n) head.push(0x80 | Number(length));
  else if (length < 65536n) head.push(0x80 | 126, Number(length >> 8n), Number(length & 255n));
  else {
    head.push(0x80 | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 255n));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(head.length + 4 + payload.length);
  frame.set(head);
  frame.set(mask, head.length);
  for (let i = 0; i < payload.length; i++) frame[head.length + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}
