// The live stream client: one WebSocket to /api/v1/stream, its subscriptions, and reconnects.
//
// Subscriptions outlive the socket: after a drop the client waits (backoff.ts), reconnects and
// subscribes again, and the page carries on without a reload. A socket that goes quiet while
// subscribed (no update for `staleMs`) is treated as dropped.

import type { ClientMessage, ServerMessage, Topic } from "../../server/wire.ts";
import { backoffDelay } from "./backoff.ts";

/** Subprotocol the server selects for the stream (auth rides on the login cookie). */
const STREAM_PROTOCOL = "netwatch.v1";

/** What the client reports to the page. */
export interface StreamEvents {
  /** Socket open and subscriptions sent. */
  onOpen(): void;
  /** Socket lost; the next attempt is at `retryAt` (epoch ms), or never when null. */
  onDown(retryAt: number | null, attempts: number): void;
  /** Decides after a failed attempt whether to keep trying (false: e.g. a token is needed). */
  shouldRetry(): Promise<boolean>;
  /** An error message from the server about one subscription or message. */
  onServerError?(message: { id?: string; code: string; message: string }): void;
}

interface Subscription {
  topic: Topic;
  params: Record<string, string | number | boolean>;
  intervalMs: number;
  onData(data: unknown, ts: number): void;
}

/** A self-healing stream connection. */
export class StreamClient {
  readonly #url: string;
  readonly #events: StreamEvents;
  readonly #staleMs: number;
  readonly #subscriptions = new Map<string, Subscription>();
  #socket: WebSocket | null = null;
  #attempts = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #lastMessage = 0;
  #stopped = false;

  constructor(url: string, events: StreamEvents, staleMs = 6000) {
    this.#url = url;
    this.#events = events;
    this.#staleMs = staleMs;
  }

  /** Opens the socket (again). */
  connect(): void {
    this.#stopped = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#socket) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url, [STREAM_PROTOCOL]);
    } catch {
      void this.#lost();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempts = 0;
      this.#lastMessage = Date.now();
      for (const [id, s] of this.#subscriptions) this.#sendSubscribe(id, s);
      clearInterval(this.#watchdog);
      this.#watchdog = setInterval(() => this.#checkStale(), 1000);
      this.#events.onOpen();
    };
    socket.onmessage = (event) => {
      this.#lastMessage = Date.now();
      this.#receive(String(event.data));
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      clearInterval(this.#watchdog);
      void this.#lost();
    };
  }

  /** Whether the socket is open. */
  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Adds or replaces subscription `id`; sent now if open, and after every reconnect. */
  subscribe(
    id: string,
    topic: Topic,
    params: Record<string, string | number | boolean>,
    intervalMs: number,
    onData: (data: unknown, ts: number) => void,
  ): void {
    if (this.#subscriptions.has(id)) this.unsubscribe(id);
    const s = { topic, params, intervalMs, onData };
    this.#subscriptions.set(id, s);
    if (this.open) this.#sendSubscribe(id, s);
  }

  /** Removes subscription `id`. */
  unsubscribe(id: string): void {
    if (!this.#subscriptions.delete(id)) return;
    this.#send({ op: "unsubscribe", id });
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#watchdog);
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, "page closed");
  }

  #sendSubscribe(id: string, s: Subscription): void {
    this.#send({
      op: "subscribe",
      id,
      topic: s.topic,
      interval_ms: s.intervalMs,
      params: s.params,
    });
  }

  #send(message: ClientMessage): void {
    if (this.open) this.#socket!.send(JSON.stringify(message));
  }

  #receive(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === "data") {
      // Updates of a subscription replaced or dropped meanwhile are ignored.
      const s = this.#subscriptions.get(message.id);
      if (s && s.topic === message.topic) s.onData(message.data, message.ts);
    } else if (message.type === "error") {
      this.#events.onServerError?.(message);
    }
  }

  #checkStale(): void {
    if (this.#subscriptions.size > 0 && Date.now() - this.#lastMessage > this.#staleMs) {
      const socket = this.#socket;
      this.#socket = null;
      clearInterval(this.#watchdog);
      socket?.close(4000, "no updates");
      void this.#lost();
    }
  }

  async #lost(): Promise<void> {
    if (this.#stopped) return;
    const attempts = ++this.#attempts;
    const delay = backoffDelay(attempts - 1);
    this.#events.onDown(Date.now() + delay, attempts);
    const keepTrying = await this.#events.shouldRetry().catch(() => true);
    if (this.#stopped || this.#socket) return;
    if (!keepTrying) {
      this.#events.onDown(null, attempts);
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.connect(), delay);
  }
}
