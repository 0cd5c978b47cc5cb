// Bounds the HTTP server's TCP connections: a cap below the descriptor limit, and timeouts that
// close clients which connect and then say nothing (slowloris) or hold a request open too long.
//
// The process must never reach its descriptor limit: Deno's HTTP servers stop accepting for good
// on EMFILE, and other parts of the runtime panic there (both measured on 2.9.6; RELIABILITY.md).
// So every accepted socket is counted, and one past the cap is answered 503 and closed at once,
// unless a connection that has sat idle for a while can be closed to make room: then the idle
// one goes, so a flood of silent connections cannot lock the admin out.

import type { HttpStats } from "./wire.ts";

/** What the guard needs of a socket (node:net's Socket, or a fake in tests). */
export interface GuardedSocket {
  readonly destroyed: boolean;
  end(data: string): void;
  destroy(): void;
  once(event: "close", listener: () => void): unknown;
  /** Since when (ms) a write has waited for the peer to read (0 or absent: none waits). */
  readonly writeStalledSince?: number;
}

/** Limits of the guard. */
export interface ConnectionLimits {
  /** Open TCP connections at most, streams included (default 1024, and below the fd limit). */
  maxConnections: number;
  /**
   * A new connection must have sent a whole request head within this (default 10 s), and a
   * request's body must have arrived within this of its head.
   */
  headerTimeoutMs: number;
  /** A kept-alive connection may sit without a request this long (default 5 s). */
  idleTimeoutMs: number;
  /** One request, from its head to the end of its response (default 60 s). */
  requestTimeoutMs: number;
  /** A connection idle at least this long may be closed to admit a new one (default 1 s). */
  evictAfterMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  maxConnections: 1024,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  requestTimeoutMs: 60_000,
  evictAfterMs: 1_000,
});

/** Descriptors kept free of connections: the runtime, the capture, files and a margin. */
export function descriptorReserve(limit: number): number {
  return Math.max(32, Math.min(256, Math.floor(limit / 8)));
}

/** Counters for /stats and /metrics (the connection half of wire.ts's HttpStats). */
export type ConnectionStats = Pick<
  HttpStats,
  | "connections"
  | "max_connections"
  | "connections_refused"
  | "connections_evicted"
  | "connections_timed_out"
  | "connections_overrun"
>;

/**
 * waiting: for a request head; receiving: for a request's body (the server is waiting on the
 * client either way, so both time out and may be evicted); busy: answering; upgraded: a stream.
 */
type State = "waiting" | "receiving" | "busy" | "upgraded";

interface Entry {
  state: State;
  /** When the current state began (ms). */
  since: number;
  /** Requests in flight (pipelining allows more than one). */
  inFlight: number;
  /** A request was seen: later waits are keep-alive idle time, not a first head. */
  served: boolean;
}

/** Counts, caps and times out the connections of one server. */
export class ConnectionGuard {
  readonly limits: ConnectionLimits;
  readonly #entries = new Map<GuardedSocket, Entry>();
  /** Sockets waiting on their client (a head or a body), oldest wait first (re-inserted on each change). */
  readonly #waiting = new Set<GuardedSocket>();
  #refused = 0;
  #evicted = 0;
  #timedOut = 0;
  #overrun = 0;
  #timer?: ReturnType<typeof setInterval>;
  readonly #clock: () => number;

  constructor(limits: Partial<ConnectionLimits> = {}, clock: () => number = Date.now) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
    this.#clock = clock;
  }

  /** Starts the once-a-second sweep that closes timed-out connections. */
  start(): void {
    this.#timer ??= setInterval(() => this.sweep(this.#clock()), 1000);
  }

  /** Stops the sweep. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Takes a newly accepted socket. Returns false when every slot is taken and none has idled
   * long enough to give way: the caller then answers 503 (see refusal()) and closes it.
   */
  admit(socket: GuardedSocket): boolean {
    const now = this.#clock();
    if (this.#entries.size >= this.limits.maxConnections && !this.#evictOne(now)) {
      this.#refused++;
      return false;
    }
    this.#entries.set(socket, { state: "waiting", since: now, inFlight: 0, served: false });
    this.#waiting.add(socket);
    socket.once("close", () => this.#forget(socket));
    return true;
  }

  /** True when the next connection will evict one or be refused. */
  get full(): boolean {
    return this.#entries.size >= this.limits.maxConnections;
  }

  /** The whole 503 answer to a refused connection, in the API's error shape. */
  refusal(): string {
    const body = JSON.stringify({
      error: {
        code: "too_many_connections",
        message: `At most ${this.limits.maxConnections} connections are open; try again later`,
      },
    });
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${body.length}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`;
  }

  /** True while `socket` is admitted and open. */
  has(socket: GuardedSocket): boolean {
    return this.#entries.has(socket);
  }

  /** A request head arrived on `socket`. */
  requestStarted(socket: GuardedSocket): void {
    const entry = this.#entries.get(socket);
    if (!entry) return;
    entry.inFlight++;
    entry.served = true;
    if (entry.state === "waiting") this.#enter(socket, entry, "busy");
  }

  /**
   * The request just started on `socket` has a body still to come: until received(), the
   * connection waits on its client like one that has not sent a head (a client that declares a
   * body and sends it slowly or never would otherwise hold a slot until the request timeout).
   */
  receiving(socket: GuardedSocket): void {
    const entry = this.#entries.get(socket);
    if (entry?.state === "busy") this.#enter(socket, entry, "receiving");
  }

  /** The body of the request on `socket` has all arrived. */
  received(socket: GuardedSocket): void {
    const entry = this.#entries.get(socket);
    if (entry?.state !== "receiving") return;
    this.#enter(socket, entry, entry.inFlight > 0 ? "busy" : "waiting");
  }

  /** A response on `socket` finished (or the request was abandoned). */
  requestEnded(socket: GuardedSocket): void {
    const entry = this.#entries.get(socket);
    if (!entry || (entry.state !== "busy" && entry.state !== "receiving")) return;
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    // A body still arriving after the answer (one the route never read) keeps it receiving.
    if (entry.inFlight === 0 && entry.state === "busy") this.#enter(socket, entry, "waiting");
  }

  /** `socket` became a WebSocket: it stays counted, and the stream's own pings watch it. */
  upgraded(socket: GuardedSocket): void {
    const entry = this.#entries.get(socket);
    if (entry) this.#enter(socket, entry, "upgraded");
  }

  /** Closes connections past their timeouts at `now` (ms). Called every second; public for tests. */
  sweep(now: number): void {
    const { headerTimeoutMs, idleTimeoutMs, requestTimeoutMs } = this.limits;
    for (const [socket, entry] of this.#entries) {
      const age = now - entry.since;
      const late = entry.state === "waiting"
        ? age > (entry.served ? idleTimeoutMs : headerTimeoutMs)
        : entry.state === "receiving"
        ? age > headerTimeoutMs
        : entry.state === "busy" &&
          (age > requestTimeoutMs || stalledFor(socket, now) > headerTimeoutMs);
      if (!late) continue;
      // An idle keep-alive connection closing is ordinary; a missing head or a stuck request is not.
      if (entry.state !== "waiting" || !entry.served) this.#timedOut++;
      this.#close(socket);
    }
  }

  /** Closes `socket` for leaving too many pipelined requests unanswered (see pipelining.ts). */
  overrun(socket: GuardedSocket): void {
    this.#overrun++;
    this.#close(socket);
  }

  /** Closes every connection (shutdown). */
  closeAll(): void {
    for (const socket of [...this.#entries.keys()]) this.#close(socket);
  }

  stats(): ConnectionStats {
    return {
      connections: this.#entries.size,
      max_connections: this.limits.maxConnections,
      connections_refused: this.#refused,
      connections_evicted: this.#evicted,
      connections_timed_out: this.#timedOut,
      connections_overrun: this.#overrun,
    };
  }

  #enter(socket: GuardedSocket, entry: Entry, state: State): void {
    entry.state = state;
    entry.since = this.#clock();
    this.#waiting.delete(socket);
    if (state === "waiting" || state === "receiving") this.#waiting.add(socket);
  }

  /**
   * Closes the longest-waiting connection if it has waited long enough; else one whose answer
   * has gone unread as long (a client that asks and never reads would hold a busy slot).
   */
  #evictOne(now: number): boolean {
    const { evictAfterMs } = this.limits;
    const oldest = this.#waiting.values().next().value;
    let victim = oldest && now - this.#entries.get(oldest)!.since >= evictAfterMs
      ? oldest
      : undefined;
    if (!victim) {
      for (const [socket, entry] of this.#entries) {
        if (entry.state === "busy" && stalledFor(socket, now) >= evictAfterMs) {
          victim = socket;
          break;
        }
      }
    }
    if (!victim) return false;
    this.#evicted++;
    this.#close(victim);
    return true;
  }

  #close(socket: GuardedSocket): void {
    this.#forget(socket);
    socket.destroy();
  }

  #forget(socket: GuardedSocket): void {
    this.#entries.delete(socket);
    this.#waiting.delete(socket);
  }
}

/** How long (ms) a write to `socket` has waited for its peer to read; 0 when none waits. */
function stalledFor(socket: GuardedSocket, now: number): number {
  const since = socket.writeStalledSince ?? 0;
  return since > 0 ? now - since : 0;
}
