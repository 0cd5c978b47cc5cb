// Helpers of the reliability tests: waiting for a capture state, a seeded PRNG, medians, and raw
// HTTP requests and WebSocket handshakes over a socket. (Servers start through helpers/serve.ts.)

import { setTimeout as sleep } from "node:timers/promises";

export { sleep };
export { median } from "../bench/stats.ts";

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

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** One raw HTTP/1.1 request (any Host), read to the end: status, head and body. */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; head: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = Object.entries({ ...headers, "Content-Length": String(body.length) })
      .map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await writeAll(
      conn,
      new TextEncoder().encode(
        `${method} ${path} HTTP/1.1\r\n${lines}Connection: close\r\n\r\n${body}`,
      ),
    );
    let text = "";
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const split = text.indexOf("\r\n\r\n");
    return {
      status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
      head: text.slice(0, split),
      body: text.slice(split + 4),
    };
  } finally {
    conn.close();
  }
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
