// The stream's shapes: sockets, sources, limits, connections and their subscriptions.

import type { Topic } from "./wire.ts";

/** What the hub needs of a WebSocket (the browser-standard one, or a fake in tests). */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Running totals the rates topic differentiates. */
export interface StreamTotals {
  packets: number;
  bytes: number;
  dropped: number;
}

/** Where updates come from: synchronously, or through Promises (an engine in a worker). */
export interface StreamSource {
  /** Data of a topic other than rates for validated params (the REST body of the same query). */
  snapshot(topic: Exclude<Topic, "rates">, params: unknown): unknown | Promise<unknown>;
  totals(): StreamTotals | Promise<StreamTotals>;
}

/** Limits of the stream. */
export interface StreamLimits {
  /** Open connections at most; more are refused with 503 (default 256). */
  maxConnections: number;
  /** Subscriptions per connection (default 32). */
  maxSubscriptions: number;
  /** Subscriptions on the whole server (default 2048). */
  maxTotalSubscriptions: number;
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
  maxTotalSubscriptions: 2048,
  maxBufferedBytes: 1 << 20,
  maxMessageBytes: 8192,
  tickMs: 25,
});

/** One subscription of a connection. */
export interface Subscription {
  id: string;
  topic: Topic;
  intervalMs: number;
  params: unknown;
  key: string;
  nextDue: number;
  /** When the last update was sent, or the subscription made (ms): to tell late updates. */
  lastSent: number;
  /** The update due now was put off by the budget (counted once). */
  deferred: boolean;
  /** Rates: the totals at the previous update. */
  last?: StreamTotals & { at: number };
}

/** One client's connection. */
export class StreamConnection {
  readonly subscriptions = new Map<string, Subscription>();
  closed = false;
  /** A message waiting on the source; later messages run after it. */
  pending?: Promise<void>;
  constructor(readonly socket: StreamSocket) {}
}
