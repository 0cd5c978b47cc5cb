// Main-thread face of the history store: starts its worker, writes, queries, status, close.
//
// Nothing here throws for a failed store: open() resolves with the state, queries resolve null
// when there is no store (the caller serves memory only), and the one line that explains a
// failure goes to `warn` once. Only a bad query parameter rejects (TypeError or RangeError,
// with the message to put in a 400).

import { HistoryWriter } from "./history_writer.ts";
import type {
  FromHistory,
  HistoryQuery,
  HistoryStatus,
  QueryResults,
  ToHistory,
  WorkerOptions,
} from "./types.ts";

/** Options of the client on top of the worker's. */
export interface ClientOptions extends WorkerOptions {
  /** Queue bound of the client's own writer, in items. */
  maxQueued?: number;
  /** Where the one line about a failure goes (default console.error). */
  warn?: (line: string) => void;
  /** A query not answered in this long resolves null (default 30 s). */
  queryTimeoutMs?: number;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** A running history store. Create it with HistoryClient.open(). */
export class HistoryClient {
  /** Writes from this thread. */
  readonly writer: HistoryWriter;
  readonly #worker: Worker;
  readonly #warn: (line: string) => void;
  readonly #queryTimeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  #status: HistoryStatus;
  #nextId = 1;
  #closed: Promise<void> | undefined;
  #warned = new Set<string>();

  private constructor(worker: Worker, options: ClientOptions, status: HistoryStatus) {
    this.#worker = worker;
    this.#warn = options.warn ?? ((line) => console.error(line));
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
    this.#status = status;
    this.writer = new HistoryWriter(worker, { maxQueued: options.maxQueued });
  }

  /**
   * Starts the worker and opens the database. Resolves when it is open or has failed; check
   * status().state ("ok" or "failed"). Never rejects.
   */
  static open(options: ClientOptions): Promise<HistoryClient> {
    const worker = new Worker(new URL("./history_worker.ts", import.meta.url).href, {
      type: "module",
    });
    return new Promise((resolve) => {
      let client: HistoryClient | undefined;
      worker.onmessage = (event: MessageEvent<FromHistory>) => {
        const message = event.data;
        if (message.type === "opened") {
          client = new HistoryClient(worker, options, message.status);
          client.#report(message.status);
          resolve(client);
        } else {
          if (client) client.#receive(message);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const line = `History off, keeping the last hour in memory only: the history worker ` +
          `failed (${event.message})`;
        if (client) return client.#failed(line);
        const status = failedStatus(options, line);
        client = new HistoryClient(worker, options, status);
        client.#report(status);
        resolve(client);
      };
      const open: ToHistory = { type: "open", options: workerOptions(options) };
      worker.postMessage(open);
    });
  }

  /** The latest known status, with this client's queue drops. */
  status(): HistoryStatus {
    const dropped = { ...this.#status.dropped, queue: this.writer.stats.dropped };
    return { ...this.#status, dropped };
  }

  /** Asks the worker for a fresh status (file size, oldest data...). */
  async refreshStatus(): Promise<HistoryStatus> {
    const id = this.#nextId++;
    const status = await this.#ask<HistoryStatus | null>({ type: "status", id }, id);
    if (status) this.#status = status;
    return this.status();
  }

  /**
   * A MessagePort for writes from another thread: transfer it there and wrap it with
   * HistoryWriter.onPort(port). The worker reads it until it closes.
   */
  writerPort(): MessagePort {
    const channel = new MessageChannel();
    const attach: ToHistory = { type: "attach", port: channel.port1 };
    this.#worker.postMessage(attach, [channel.port1]);
    return channel.port2;
  }

  /**
   * Runs a query in the worker. Resolves null when history is off or failed (serve memory
   * only); rejects with TypeError or RangeError for a parameter it cannot accept.
   */
  query<K extends HistoryQuery["kind"]>(
    q: Extract<HistoryQuery, { kind: K }>,
  ): Promise<QueryResults[K] | null> {
    if (this.#status.state !== "ok" || this.#closed) return Promise.resolve(null);
    const id = this.#nextId++;
    return this.#ask<QueryResults[K] | null>({ type: "query", id, query: q }, id);
  }

  /** Commits what is pending (including this thread's buffered flows). */
  async flush(): Promise<void> {
    this.writer.flushFlows();
    const id = this.#nextId++;
    await this.#ask({ type: "flush", id }, id);
  }

  /**
   * Commits, checkpoints and closes the database, then ends the worker: call it on SIGTERM.
   * Resolves within `timeoutMs` even if the worker does not answer. Safe to call twice.
   */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closed ??= (async () => {
      this.writer.close();
      const id = this.#nextId++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
      await Promise.race([this.#ask({ type: "close", id }, id, false), timeout]);
      clearTimeout(timer);
      this.#worker.terminate();
      for (const waiting of this.#waiting.values()) waiting.resolve(null);
      this.#waiting.clear();
      this.#status = { ...this.#status, state: "closed" };
    })();
    return this.#closed;
  }

  #ask<T>(message: ToHistory, id: number, timeout = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { resolve: resolve as (value: unknown) => void, reject };
      if (timeout) {
        waiting.timer = setTimeout(() => {
          this.#waiting.delete(id);
          resolve(null as T);
        }, this.#queryTimeoutMs);
      }
      this.#waiting.set(id, waiting);
      this.#worker.postMessage(message);
    });
  }

  #settle(id: number, settle: (waiting: Waiting) => void): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    settle(waiting);
  }

  #receive(message: FromHistory): void {
    switch (message.type) {
      case "ack":
        return this.writer.acked(message.items);
      case "state":
        this.#status = message.status;
        return this.#report(message.status);
      case "result":
        return this.#settle(message.id, (w) => w.resolve(message.result));
      case "status":
        return this.#settle(message.id, (w) => w.resolve(message.status));
      case "done":
        return this.#settle(message.id, (w) => w.resolve(undefined));
      case "query_error":
        return this.#settle(message.id, (w) => {
          const Kind = message.name === "RangeError" ? RangeError : TypeError;
          w.reject(new Kind(message.message));
        });
    }
  }

  #failed(line: string): void {
    this.#status = { ...this.#status, state: "failed", error: line };
    this.#report(this.#status);
    for (const waiting of this.#waiting.values()) waiting.resolve(null);
    this.#waiting.clear();
  }

  /** Prints each failure line and each moved-aside file once. */
  #report(status: HistoryStatus): void {
    const lines = [];
    if (status.moved_aside) {
      lines.push(
        `History: ${status.path} was damaged; moved it to ${status.moved_aside} and started ` +
          `a new one`,
      );
    }
    if (status.state === "failed" && status.error) lines.push(status.error);
    for (const line of lines) {
      if (this.#warned.has(line)) continue;
      this.#warned.add(line);
      this.#warn(line);
    }
  }
}

/** The worker's part of the options (functions do not cross threads). */
function workerOptions(options: ClientOptions): WorkerOptions {
  const { maxQueued: _q, warn: _w, queryTimeoutMs: _t, ...rest } = options;
  return rest;
}

function failedStatus(options: ClientOptions, line: string): HistoryStatus {
  return {
    state: "failed",
    path: options.path,
    error: line,
    moved_aside: null,
    file_bytes: 0,
    cap_bytes: options.capBytes,
    oldest: { flows: null, "1m": null, "5m": null, "1h": null },
    written: { minutes: 0, host_rows: 0, flows: 0, names: 0 },
    dropped: { queue: 0, write_errors: 0 },
    retention_runs: 0,
    max_flow_id: 0,
  };
}
