// The WebSocket stream: connections, their subscriptions, and one timer that sends due updates.
//
// Slow clients cost nothing: before each send the socket's bufferedAmount is checked, and a
// subscription whose client has not drained its buffer skips that update (counted) and gets the
// latest state at its next turn instead of a backlog. Greedy clients cost little: snapshots run
// within a work budget (stream_budget.ts), the most overdue first; what does not fit waits for a
// later tick, and a subscription served later than it asked is told so in its data message
// (`throttled`, `interval_ms`). Data for a topic and params is shared by every subscription due
// while it is fresh (half their interval), across connections and ticks; due times sit on a grid
// of their interval, so subscriptions with the same interval fall due together. Snapshots may be
// Promises (the engine in a worker): a tick awaits them, and ticks never overlap.

import { WorkBudget } from "./stream_budget.ts";
import {
  MAX_INTERVAL_MS,
  parseRequest,
  type Request,
  StreamRequestError,
  TOPICS,
} from "./stream_protocol.ts";
import {
  DEFAULT_STREAM_LIMITS,
  StreamConnection,
  type StreamLimits,
  type StreamSocket,
  type StreamSource,
  type StreamTotals,
  type Subscription,
} from "./stream_types.ts";
import type { RatesData, ServerMessage, StreamStats, Topic } from "./wire.ts";

export {
  DEFAULT_STREAM_LIMITS,
  StreamConnection,
  type StreamLimits,
  type StreamSocket,
  type StreamSource,
  type StreamTotals,
} from "./stream_types.ts";

/** A due subscription and its connection. */
interface Due {
  connection: StreamConnection;
  sub: Subscription;
}

/** A snapshot's JSON and when it was taken. */
interface Cached {
  text: string;
  at: number;
}

/** An update more than this share of its interval late is reported as throttled. */
const LATE = 1.5;

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
  #deferred = 0;
  #ticking = false;
  readonly #budget: WorkBudget;
  readonly #cache = new Map<string, Cached>();

  constructor(source: StreamSource, limits: Partial<StreamLimits> = {}) {
    this.#source = source;
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
    this.#budget = new WorkBudget(this.limits.tickMs);
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
    this.#timer ??= setInterval(() => {
      if (!this.#ticking) this.tick(Date.now()).catch(reportTickError);
    }, this.limits.tickMs);
    return connection;
  }

  /** Handles one client message (text, or anything else, which is refused). */
  message(connection: StreamConnection, data: unknown): void {
    if (connection.closed) return;
    // While a message waits on the source (a Promise), later ones queue behind it, in order.
    if (connection.pending) {
      const after = connection.pending.then(() => this.message(connection, data));
      connection.pending = after;
      after.finally(() => {
        if (connection.pending === after) connection.pending = undefined;
      });
      return;
    }
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
      const request = parseRequest(data);
      const totals = request.op === "subscribe" && request.topic === "rates"
        ? this.#source.totals()
        : undefined;
      if (!(totals instanceof Promise)) {
        this.#handle(connection, request, totals);
        return;
      }
      const waited = totals.then((t) => this.#handleOrRefuse(connection, request, t));
      connection.pending = waited;
      waited.catch(reportTickError).finally(() => {
        if (connection.pending === waited) connection.pending = undefined;
      });
    } catch (error) {
      if (!(error instanceof StreamRequestError)) throw error;
      this.#refuse(connection, error);
    }
  }

  #handleOrRefuse(connection: StreamConnection, request: Request, totals?: StreamTotals): void {
    try {
      this.#handle(connection, request, totals);
    } catch (error) {
      if (!(error instanceof StreamRequestError)) throw error;
      this.#refuse(connection, error);
    }
  }

  #refuse(connection: StreamConnection, error: StreamRequestError): void {
    this.#reply(connection, {
      type: "error",
      ...(error.id !== undefined ? { id: error.id } : {}),
      code: error.code,
      message: error.message,
    });
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
      updates_deferred: this.#deferred,
      snapshot_ms: Math.round(this.#budget.spentMs),
    };
  }

  /**
   * Sends the updates due at `now` (epoch ms) that the work budget allows; the rest stay due.
   * Called by the timer (never twice at once); public for tests, which await it.
   */
  async tick(now: number): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      this.#budget.refill(now);
      const groups = new Map<string, Due[]>();
      for (const connection of this.#connections) {
        for (const sub of connection.subscriptions.values()) {
          if (sub.nextDue > now) continue;
          if (connection.closed || connection.socket.readyState !== OPEN) break;
          if (connection.socket.bufferedAmount > this.limits.maxBufferedBytes) {
            sub.nextDue = nextDue(now, sub.intervalMs);
            this.#skipped++;
            continue;
          }
          if (sub.topic === "rates") {
            this.#send({ connection, sub }, JSON.stringify(await this.#rates(sub, now)), now);
            continue;
          }
          const group = groups.get(sub.key);
          if (group) group.push({ connection, sub });
          else groups.set(sub.key, [{ connection, sub }]);
        }
      }
      // The most overdue query first, so what the budget puts off now goes first next time.
      const order = [...groups.values()].sort((a, b) => oldest(a) - oldest(b));
      for (const group of order) await this.#serve(group, now);
      this.#prune(now);
    } finally {
      this.#ticking = false;
    }
  }

  /** Sends one query's data to its due subscriptions: cached if fresh, else if the budget allows. */
  async #serve(group: Due[], now: number): Promise<void> {
    const { key, topic, params } = group[0].sub;
    const shortest = Math.min(...group.map((d) => d.sub.intervalMs));
    let cached = this.#cache.get(key);
    if (!cached || now - cached.at >= shortest / 2) {
      const estimate = this.#budget.estimate(key, topic);
      if (!this.#budget.allows(estimate)) {
        for (const { sub } of group) {
          if (!sub.deferred) this.#deferred++;
          sub.deferred = true;
        }
        return;
      }
      const started = performance.now();
      let data: unknown;
      try {
        data = await this.#source.snapshot(topic as Exclude<Topic, "rates">, params);
      } catch (error) {
        // Said to each subscriber, then tried again after a while rather than every tick.
        const message = error instanceof Error ? error.message : String(error);
        for (const { connection, sub } of group) {
          sub.nextDue = now + Math.max(sub.intervalMs, 10_000);
          this.#reply(connection, { type: "error", id: sub.id, code: "unavailable", message });
        }
        return;
      }
      cached = { text: JSON.stringify(data), at: now };
      this.#budget.spend(key, topic, performance.now() - started);
      this.#cache.set(key, cached);
    }
    for (const due of group) this.#send(due, cached.text, now);
  }

  /** Sends one data message and sets the subscription's next due time. */
  #send({ connection, sub }: Due, data: string, now: number): void {
    // An expensive query runs no more often than its share allows, whatever was asked.
    const interval = Math.max(sub.intervalMs, this.#budget.floorMs(sub.key));
    const gap = now - sub.lastSent;
    const late = gap > sub.intervalMs * LATE;
    sub.nextDue = nextDue(now, interval);
    sub.lastSent = now;
    sub.deferred = false;
    this.#sendRaw(
      connection,
      `{"type":"data","id":${JSON.stringify(sub.id)},"topic":"${sub.topic}","ts":${now},` +
        (late ? `"throttled":true,"interval_ms":${Math.round(gap)},` : "") +
        `"data":${data}}`,
    );
  }

  /** Drops snapshots too old to serve anyone, and the estimates of queries no one asks. */
  #prune(now: number): void {
    for (const [key, cached] of this.#cache) {
      if (now - cached.at > MAX_INTERVAL_MS) {
        this.#cache.delete(key);
        this.#budget.forget(key);
      }
    }
  }

  /** Carries out one request; `totals` are the source's, read for a rates subscription. */
  #handle(connection: StreamConnection, request: Request, totals?: StreamTotals): void {
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
        if (this.#subscriptions >= this.limits.maxTotalSubscriptions) {
          throw new StreamRequestError(
            "too_many_subscriptions",
            `At most ${this.limits.maxTotalSubscriptions} subscriptions on this server; ` +
              "try again later",
            request.id,
          );
        }
        const now = Date.now();
        if (connection.closed) return;
        connection.subscriptions.set(request.id, {
          id: request.id,
          topic: request.topic,
          intervalMs: request.intervalMs,
          params: request.params,
          key: request.key,
          nextDue: nextDue(now, request.intervalMs),
          lastSent: now,
          deferred: false,
          last: totals ? { ...totals, at: now } : undefined,
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

  async #rates(sub: Subscription, now: number): Promise<RatesData> {
    const totals = await this.#source.totals();
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

/** The earliest due time in a group. */
function oldest(group: Due[]): number {
  return Math.min(...group.map((d) => d.sub.nextDue));
}

/** A failed snapshot must not end the timer: it is logged (the message, never a token). */
function reportTickError(error: unknown): void {
  console.error(`netwatch: stream update failed: ${(error as Error)?.message ?? error}`);
}

/** The next multiple of `intervalMs` after `now`: due times on a shared grid. */
function nextDue(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs;
}

export { TOPICS };
