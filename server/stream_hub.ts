// The WebSocket stream: connections, their subscriptions, and one timer that sends due updates.
//
// Slow clients cost nothing: before each send the socket's bufferedAmount is checked, and a
// subscription whose client has not drained its buffer skips that update (counted) and gets the
// latest state at its next turn instead of a backlog. Data for a topic and params is computed
// once per tick and shared by every subscription due in it; due times sit on a grid of their
// interval, so subscriptions with the same interval fall due together.

import { parseRequest, type Request, StreamRequestError, TOPICS } from "./stream_protocol.ts";
import type { RatesData, ServerMessage, StreamStats, Topic } from "./wire.ts";

/** What the hub needs of a WebSocket (the browser-standard one, or a fake in tests). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Where updates come from. */
export interface StreamSource {
  /** Data of a topic other than rates for validated params (the REST body of the same query). */
  snapshot(topic: Exclude<Topic, "rates">, params: unknown): unknown | Promise<unknown>;
  /** Running totals the rates topic differentiates. */
  totals(): { packets: number; bytes: number; dropped: number };
}

/** Limits of the stream. */
export interface StreamLimits {
  /** Open connections at most; more are refused with 503 (default 256). */
  maxConnections: number;
  /** Subscriptions per connection (default 32). */
  maxSubscriptions: number;
  /** Bytes queued on a socket above which updates are skipped (default 1 MiB). */
  maxBufferedBytes: number;
  /** Largest client message (default 8 KiB). */
  maxMessageBytes: number;
  /** Scheduler period (default 25 ms). */
  tickMs: number;
}

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = Object.freeze({
  maxConnections: 256,
  maxSubscriptions: 32,
  maxBufferedBytes: 1 << 20,
  maxMessageBytes: 8192,
  tickMs: 25,
});

interface Subscription {
  id: string;
  topic: Topic;
  intervalMs: number;
  params: unknown;
  key: string;
  nextDue: number;
  /** Rates: the totals at the previous update. */
  last?: { packets: number; bytes: number; dropped: number; at: number };
}

/** One client's connection. */
export class StreamConnection {
  readonly subscriptions = new Map<string, Subscription>();
  closed = false;
  constructor(readonly socket: StreamSocket) {}
}

const OPEN = 1;

/** All stream connections of a server. */
export class StreamHub {
  readonly limits: StreamLimits;
  readonly #source: StreamSource;
  readonly #connections = new Set<StreamConnection>();
  #timer?: ReturnType<typeof setInterval>;
  #sent = 0;
  #skipped = 0;
  #refused = 0;
  #subscriptions = 0;
  #ticking = false;

  constructor(source: StreamSource, limits: Partial<StreamLimits> = {}) {
    this.#source = source;
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
  }

  /** True when another connection may open; counts a refusal otherwise. */
  admit(): boolean {
    if (this.#connections.size < this.limits.maxConnections) return true;
    this.#refused++;
    return false;
  }

  /** Registers an open socket. */
  open(socket: StreamSocket): StreamConnection {
    const connection = new StreamConnection(socket);
    this.#connections.add(connection);
    this.#timer ??= setInterval(() => this.tick(Date.now()), this.limits.tickMs);
    return connection;
  }

  /** Handles one client message (text, or anything else, which is refused). */
  message(connection: StreamConnection, data: unknown): void {
    if (connection.closed) return;
    try {
      if (typeof data !== "string") {
        throw new StreamRequestError(
          "bad_message",
          "Binary messages are not accepted: send JSON text",
        );
      }
      if (data.length > this.limits.maxMessageBytes) {
        throw new StreamRequestError(
          "too_large",
          `Message of ${data.length} characters: at most ${this.limits.maxMessageBytes}`,
        );
      }
      this.#handle(connection, parseRequest(data));
    } catch (error) {
      if (!(error instanceof StreamRequestError)) throw error;
      this.#reply(connection, {
        type: "error",
        ...(error.id !== undefined ? { id: error.id } : {}),
        code: error.code,
        message: error.message,
      });
    }
  }

  /** Forgets a connection. Safe to call more than once (close and error both call it). */
  close(connection: StreamConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    this.#subscriptions -= connection.subscriptions.size;
    connection.subscriptions.clear();
    this.#connections.delete(connection);
    if (this.#connections.size === 0) this.#stopTimer();
  }

  /** Closes every connection with `code` (1001: going away) and stops the timer. */
  closeAll(code = 1001, reason = "Netwatch is shutting down"): void {
    for (const connection of [...this.#connections]) {
      try {
        connection.socket.close(code, reason);
      } catch {
        // already closing
      }
      this.close(connection);
    }
    this.#stopTimer();
  }

  /** Counters for /stats and /metrics. */
  stats(): StreamStats {
    return {
      connections: this.#connections.size,
      subscriptions: this.#subscriptions,
      messages_sent: this.#sent,
      messages_skipped: this.#skipped,
      connections_refused: this.#refused,
    };
  }

  /**
   * Sends every update due at `now` (epoch ms). Called by the timer; public for tests. Data
   * comes from the engine's worker, so a tick waits for it; a tick still running when the timer
   * fires again is not doubled (the next one picks up whatever fell due meanwhile).
   */
  async tick(now: number): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const cache = new Map<string, Promise<string>>();
      for (const connection of [...this.#connections]) {
        for (const sub of [...connection.subscriptions.values()]) {
          if (sub.nextDue > now) continue;
          sub.nextDue = nextDue(now, sub.intervalMs);
          if (connection.closed || connection.socket.readyState !== OPEN) break;
          if (connection.socket.bufferedAmount > this.limits.maxBufferedBytes) {
            this.#skipped++;
            continue;
          }
          let data: string;
          if (sub.topic === "rates") {
            data = JSON.stringify(this.#rates(sub, now));
          } else {
            let pending = cache.get(sub.key);
            if (!pending) {
              const topic = sub.topic;
              pending = Promise.resolve(this.#source.snapshot(topic, sub.params))
                .then((value) => JSON.stringify(value));
              cache.set(sub.key, pending);
            }
            try {
              data = await pending;
            } catch (error) {
              this.#reply(connection, {
                type: "error",
                id: sub.id,
                code: "unavailable",
                message: error instanceof Error ? error.message : String(error),
              });
              continue;
            }
          }
          this.#sendRaw(
            connection,
            `{"type":"data","id":${JSON.stringify(sub.id)},"topic":"${sub.topic}","ts":${now},` +
              `"data":${data}}`,
          );
        }
      }
    } finally {
      this.#ticking = false;
    }
  }

  #handle(connection: StreamConnection, request: Request): void {
    switch (request.op) {
      case "ping":
        this.#reply(connection, { type: "pong", ts: Date.now() });
        return;
      case "unsubscribe":
        if (!connection.subscriptions.delete(request.id)) {
          throw new StreamRequestError(
            "not_found",
            `No subscription "${request.id}" on this connection`,
            request.id,
          );
        }
        this.#subscriptions--;
        this.#reply(connection, { type: "unsubscribed", id: request.id });
        return;
      case "subscribe": {
        if (connection.subscriptions.has(request.id)) {
          throw new StreamRequestError(
            "duplicate_id",
            `Subscription id "${request.id}" is in use: unsubscribe it or pick another`,
            request.id,
          );
        }
        if (connection.subscriptions.size >= this.limits.maxSubscriptions) {
          throw new StreamRequestError(
            "too_many_subscriptions",
            `At most ${this.limits.maxSubscriptions} subscriptions per connection`,
            request.id,
          );
        }
        const now = Date.now();
        const totals = this.#source.totals();
        connection.subscriptions.set(request.id, {
          id: request.id,
          topic: request.topic,
          intervalMs: request.intervalMs,
          params: request.params,
          key: request.key,
          nextDue: nextDue(now, request.intervalMs),
          last: request.topic === "rates" ? { ...totals, at: now } : undefined,
        });
        this.#subscriptions++;
        this.#reply(connection, {
          type: "subscribed",
          id: request.id,
          topic: request.topic,
          interval_ms: request.intervalMs,
        });
      }
    }
  }

  #rates(sub: Subscription, now: number): RatesData {
    const totals = this.#source.totals();
    const last = sub.last ?? { ...totals, at: now };
    const seconds = Math.max(0.001, (now - last.at) / 1000);
    sub.last = { ...totals, at: now };
    return {
      packets_per_sec: (totals.packets - last.packets) / seconds,
      bits_per_sec: (totals.bytes - last.bytes) * 8 / seconds,
      dropped_per_sec: (totals.dropped - last.dropped) / seconds,
      packets_total: totals.packets,
      bytes_total: totals.bytes,
      interval_sec: seconds,
    };
  }

  /** Sends a reply unless the client is not reading (then it is dropped and counted). */
  #reply(connection: StreamConnection, message: ServerMessage): void {
    if (connection.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.#skipped++;
      return;
    }
    this.#sendRaw(connection, JSON.stringify(message));
  }

  #sendRaw(connection: StreamConnection, text: string): void {
    if (connection.closed || connection.socket.readyState !== OPEN) return;
    try {
      connection.socket.send(text);
      this.#sent++;
    } catch {
      this.close(connection);
    }
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The next multiple of `intervalMs` after `now`: due times on a shared grid. */
function nextDue(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs;
}

export { TOPICS };
