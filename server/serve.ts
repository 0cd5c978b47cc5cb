// The HTTP adapter: Netwatch's own accept loop, node:http to parse, ws for the stream.
//
// Why not Deno.serve: it accepts in Rust with no hook per connection, so silent connections
// cannot be counted or closed, and on EMFILE it ends the server for good (the listener closes,
// accepted sockets stay open); serving again at the limit panicked Deno 2.9.6. Why not
// node:http's listen(): Deno's node:net accepts a burst natively before JavaScript can close one
// too many, and after EMFILE it never accepts again (both measured; RELIABILITY.md). So this loop
// takes one connection at a time from Deno.listen: ConnectionGuard counts it against a cap held
// below the descriptor limit, answers one too many with 503, and closes silent ones; an accept
// that fails anyway (EMFILE from elsewhere in the process) is retried after a pause. Each admitted
// connection goes to node:http as a Duplex (conn_socket.ts); ws frames the WebSocket upgrades.

import { getRequestListener, RequestError } from "@hono/node-server";
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
// @deno-types="@types/ws"
import { type WebSocket, WebSocketServer } from "ws";
import type { NetwatchApp } from "./app.ts";
import { errorBody } from "./errors.ts";
import { ConnectionGuard } from "./connection_guard.ts";
import { ConnSocket } from "./conn_socket.ts";
import { Pipelining } from "./pipelining.ts";
import type { ServerEnv, UpgradedSocket, UpgradeSlot } from "./server_env.ts";

/** A running HTTP server. */
export interface RunningServer {
  /** The bound address (the real port when 0 was asked for). */
  hostname: string;
  port: number;
  /** Closes streams (1001), stops accepting, closes connections. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** How the adapter treats connections. */
export interface ServeOptions {
  /** Counts and times out connections (default: a guard with default limits). */
  guard?: ConnectionGuard;
  /** Seconds a WebSocket may go without answering the server's pings (default 30). */
  pingTimeoutSec?: number;
}

/**
 * Longest request head. Above node's 16 KiB default so that long query strings reach the app and
 * get its 414 with a reason (Deno.serve allowed these too); longer heads get a 431 in JSON.
 */
const MAX_HEAD = 64 << 10;

/** Deno's WebSocket assembled messages of up to 64 MiB; the hub answers anything over 8 KiB. */
const MAX_WS_MESSAGE = 64 << 20;

/** Pause after a failed accept, doubling up to the longest while failures go on. */
const ACCEPT_RETRY_MS = 10;
const ACCEPT_RETRY_MAX_MS = 1000;
/** A failing accept is reported at most this often. */
const ACCEPT_REPORT_MS = 60_000;

/**
 * The answer to a request the adapter cannot turn into a URL (a backslash in the path, a Host
 * such as `[::ffff:127.0.0.1]`): a 400 in the API's JSON shape instead of the adapter's empty one.
 * Anything else thrown before the app answered is a 500 (the app's onError catches its own).
 */
function unreadableRequest(error: unknown): Response {
  const request = error instanceof RequestError;
  const body = request
    ? errorBody("bad_request", `Unreadable request: ${error.message}`)
    : errorBody("internal", "Internal error");
  return Response.json(body, { status: request ? 400 : 500 });
}

/** Serves `app` on `hostname`:`port`. Rejects when the address cannot be bound. */
export function serveApp(
  app: NetwatchApp,
  hostname: string,
  port: number,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const guard = options.guard ?? new ConnectionGuard();
  const pingMs = (options.pingTimeoutSec ?? 30) * 500;
  const listener = getRequestListener((request, env) => {
    const incoming = (env as { incoming: IncomingMessage }).incoming;
    return app.fetch(request, { remoteAddress: incoming.socket.remoteAddress } as ServerEnv);
  }, { overrideGlobalObjects: false, errorHandler: unreadableRequest });
  const pipelining = new Pipelining();
  const server = createServer({ maxHeaderSize: MAX_HEAD }, (req, res) => {
    const socket = req.socket;
    if (!guard.has(socket)) {
      socket.destroy(); // evicted or timed out while this request was parsed
      return;
    }
    guard.requestStarted(socket);
    res.once("close", () => guard.requestEnded(socket));
    if (hasBody(req)) {
      guard.receiving(socket);
      req.once("end", () => guard.received(socket));
      // A body the route never read: drain it once answered, as node's own server does (Deno's
      // node:http leaves it unread, so "end" never came). The guard's receiving timeout and
      // eviction bound a client that keeps sending.
      res.once("close", () => {
        if (!req.readableEnded) req.resume();
      });
    }
    if (hostCount(req) > 1) {
      // RFC 9112 section 3.2: more than one Host is a 400 (node keeps only the first).
      res.writeHead(400, { "Content-Type": "application/json", Connection: "close" });
      res.end(JSON.stringify(errorBody("bad_request", "More than one Host")));
      return;
    }
    // Every socket here is a ConnSocket: the accept loop below makes them.
    const conn = socket as unknown as ConnSocket;
    if (!pipelining.enqueue(conn, res, () => socket.destroyed || listener(req, res))) {
      guard.overrun(socket); // too many pipelined requests left unanswered: it is not reading
    }
  });
  /** The subprotocol the stream route selected, per upgrade request. */
  const selected = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: MAX_WS_MESSAGE,
    perMessageDeflate: false,
    // One message per event-loop turn, as Deno's own WebSocket does: a client that floods small
    // messages then cannot hold the loop for a whole TCP read's worth of them.
    allowSynchronousEvents: false,
    handleProtocols: (_offered, req) => selected.get(req) ?? false,
  });
  // Malformed requests: a JSON answer in the API's shape, then close.
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const body = JSON.stringify({
      error: {
        code: tooLarge ? "headers_too_large" : "bad_request",
        message: tooLarge ? "Request headers too large" : "Malformed HTTP request",
      },
    });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade({ app, guard, wss, selected, pingMs }, req, socket as Socket, head);
  });

  let tcp: Deno.TcpListener;
  try {
    tcp = Deno.listen({ hostname, port });
  } catch (error) {
    return Promise.reject(error);
  }
  // node:http never listens itself here, and after each response it destroys the socket of a
  // server that is not listening (its shutdown path) instead of keeping the connection alive.
  let serving = true;
  Object.defineProperty(server, "listening", { get: () => serving });
  guard.start();
  const refuser = new Refuser(guard.refusal());
  const accepting = acceptLoop(tcp, guard, (conn) => {
    const socket = new ConnSocket(conn);
    socket.on("error", () => {}); // resets by peers are ordinary; the close event cleans up
    if (guard.admit(socket)) server.emit("connection", socket);
    else refuser.refuse(conn);
  });
  const addr = tcp.addr as Deno.NetAddr;
  let stopping: Promise<void> | undefined;
  return Promise.resolve({
    hostname: addr.hostname,
    port: addr.port,
    shutdown() {
      stopping ??= (async () => {
        serving = false;
        app.close();
        guard.stop();
        tcp.close();
        await accepting;
        guard.closeAll();
      })();
      return stopping;
    },
  });
}

/**
 * Accepts until the listener closes. A failed accept (EMFILE, ENFILE, ENOMEM) leaves the
 * listener up: wait, retry, and say so on stderr at most once a minute.
 */
async function acceptLoop(
  tcp: Deno.TcpListener,
  guard: ConnectionGuard,
  take: (conn: Deno.Conn) => void,
): Promise<void> {
  let retryMs = ACCEPT_RETRY_MS;
  let reportedAt = -Infinity;
  let failures = 0;
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await tcp.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return; // closed by shutdown()
      }
      failures++;
      const now = Date.now();
      if (now - reportedAt >= ACCEPT_REPORT_MS) {
        console.error(
          `netwatch: cannot accept connections (${(error as Error).message}); retrying ` +
            `(${failures} failures so far; raise the open-file limit or lower --max-connections)`,
        );
        reportedAt = now;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(ACCEPT_RETRY_MAX_MS, retryMs * 2);
      continue;
    }
    retryMs = ACCEPT_RETRY_MS;
    const full = guard.full;
    take(conn);
    // At the cap each accept closes a socket (an evicted one, or this one): let those closes
    // complete before taking another, so descriptors never run ahead of the count.
    if (full) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Refused sockets allowed to linger at once, and for how long, so their 503 can be read. */
const MAX_LINGERING = 32;
const LINGER_MS = 1000;

/**
 * Answers refused connections 503 on the raw connection. A few at a time linger: the answer is
 * written, the write side shut, and the request read and dropped until the peer closes or a
 * second passes (closing with unread input would reset the connection and lose the answer).
 * Past that, a refused connection is closed at once: its descriptor must come back now.
 */
class Refuser {
  readonly #answer: Uint8Array;
  #lingering = 0;

  constructor(answer: string) {
    this.#answer = new TextEncoder().encode(answer);
  }

  refuse(conn: Deno.Conn): void {
    if (this.#lingering >= MAX_LINGERING) {
      conn.close();
      return;
    }
    this.#lingering++;
    this.#linger(conn).finally(() => {
      this.#lingering--;
      try {
        conn.close();
      } catch {
        // already closed
      }
    });
  }

  async #linger(conn: Deno.Conn): Promise<void> {
    const timer = setTimeout(() => conn.close(), LINGER_MS);
    try {
      await conn.write(this.#answer);
      await conn.closeWrite();
      const sink = new Uint8Array(4096);
      while (await conn.read(sink) !== null) {
        // drop the request
      }
    } catch {
      // reset by the peer, or closed by the timer
    } finally {
      clearTimeout(timer);
    }
  }
}

interface UpgradeContext {
  app: NetwatchApp;
  guard: ConnectionGuard;
  wss: WebSocketServer;
  selected: WeakMap<IncomingMessage, string>;
  pingMs: number;
}

/** Runs an upgrade request through the app; accepts it if the stream route claimed it. */
async function upgrade(
  { app, guard, wss, selected, pingMs }: UpgradeContext,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  if (!guard.has(socket) || hostCount(req) > 1) {
    socket.destroy();
    return;
  }
  guard.requestStarted(socket);
  const slot = new Slot();
  let response: Response;
  try {
    response = await app.fetch(
      upgradeRequest(req),
      {
        remoteAddress: socket.remoteAddress,
        upgrade: slot,
      } satisfies ServerEnv,
    );
  } catch {
    response = new Response(null, { status: 500 });
  }
  if (socket.destroyed) return;
  if (!slot.claimed || !slot.opened) {
    await writeResponse(socket, response);
    guard.requestEnded(socket);
    return;
  }
  const opened = slot.opened;
  if (slot.protocol) selected.set(req, slot.protocol);
  wss.handleUpgrade(req, socket, head, (ws) => {
    guard.upgraded(socket);
    opened(wrap(ws, pingMs));
  });
}

class Slot implements UpgradeSlot {
  protocol?: string;
  opened?: (socket: UpgradedSocket) => void;
  get claimed(): boolean {
    return this.opened !== undefined;
  }
  accept(protocol: string | undefined, opened: (socket: UpgradedSocket) => void): void {
    this.protocol = protocol;
    this.opened = opened;
  }
}

/** True when the request declares a body (node emits a request once its head is parsed). */
function hasBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** How many Host fields the request head has. */
function hostCount(req: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === "host") n++;
  }
  return n;
}

/** The Fetch request of an upgrade (headers only: an upgrade has no body). */
function upgradeRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const host = req.headers.host ?? "localhost";
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `http://${host}`);
  } catch {
    url = new URL(req.url ?? "/", "http://localhost");
  }
  return new Request(url, { headers });
}

/** Writes a refusal (status, headers, body) on a socket that never became a WebSocket. */
async function writeResponse(socket: Socket, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || STATUS_CODES[response.status] || "Error";
  const lines = [`HTTP/1.1 ${response.status} ${reason}`];
  for (const [name, value] of response.headers) {
    if (!/^(connection|content-length|transfer-encoding)$/i.test(name)) {
      lines.push(`${name}: ${value}`);
    }
  }
  lines.push(`Content-Length: ${body.length}`, "Connection: close", "", "");
  // Closed for good once written: a client that keeps its end open (after a refused stream,
  // say) would otherwise hold a counted connection until the idle sweep.
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]), () => socket.destroy());
}

/** The hub's view of a ws socket, with pings that end a connection whose peer went silent. */
function wrap(ws: WebSocket, pingMs: number): UpgradedSocket {
  let alive = true;
  ws.on("pong", () => (alive = true));
  ws.on("error", () => {}); // protocol errors close the socket; the close event follows
  const ping = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, pingMs);
  ws.on("close", () => clearInterval(ping));
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    onMessage(listener) {
      ws.on("message", (data, isBinary) => {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        listener(isBinary ? new Uint8Array(bytes) : bytes.toString("utf8"));
      });
    },
    onClose(listener) {
      ws.on("close", listener);
    },
  };
}
