// One export destination: its bounded queue, its sink, and the timer-driven sending with backoff.
//
// The engine side only calls push(): an array write, no I/O, no promise. Sending runs on a
// timer: every `flushMs` the destination takes up to `batchSize` records from its queue and
// hands them to the sink; it removes them only once the sink took them, so a failed send keeps
// them for the retry. Failures back off exponentially (with jitter, so many agents do not
// retry in step) up to `maxBackoffMs`; while the destination is down, the queue fills and then
// drops, and every drop is counted.

import { ExportError } from "./export_error.ts";
import { ExportQueue } from "./export_queue.ts";
import type { ExportFlow, ExportKind, ExportSink, ExportState, ExportStatus } from "./types.ts";

/** Sending settings of a destination. */
export interface DestinationOptions {
  /** Records the queue holds at most. */
  queueCapacity: number;
  /** Records per send, at most. */
  batchSize: number;
  /** How often queued records are sent. */
  flushMs: number;
  /** First retry delay after a failure, doubled per failure up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Records queued for one destination and the state of sending them. */
export class ExportDestination {
  readonly name: string;
  readonly kind: ExportKind;
  readonly queue: ExportQueue<ExportFlow>;
  readonly options: DestinationOptions;
  readonly #sink: ExportSink;
  #state: ExportState = "connecting";
  #sent = 0;
  /** Records of batches the destination refused (dropped, counted with the queue's drops). */
  #rejected = 0;
  #failures = 0;
  #lastError: string | null = null;
  #lastSentMs: number | null = null;
  #opened = false;
  #backoffMs = 0;
  #retryAtMs = 0;
  #busy: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(name: string, kind: ExportKind, sink: ExportSink, options: DestinationOptions) {
    this.name = name;
    this.kind = kind;
    this.#sink = sink;
    this.options = options;
    this.queue = new ExportQueue(options.queueCapacity);
  }

  /** Queues `flow` for sending; O(1), never waits. A full queue drops it and counts the drop. */
  push(flow: ExportFlow): void {
    this.queue.push(flow);
  }

  /** Starts the send timer (and the first connection attempt). */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.#tick(), this.options.flushMs);
    this.#tick();
  }

  /** Figures for /stats and /metrics. */
  status(): ExportStatus {
    return {
      destination: this.name,
      kind: this.kind,
      state: this.#state,
      queued: this.queue.length,
      capacity: this.queue.capacity,
      sent: this.#sent,
      dropped: this.queue.dropped + this.#rejected,
      failures: this.#failures,
      last_error: this.#lastError,
      last_sent_ms: this.#lastSentMs,
    };
  }

  /**
   * At shutdown: sends what is queued until the queue is empty or `deadlineMs` (epoch ms)
   * passes. One attempt is made at once, whatever the backoff; a destination that fails it is
   * down and is not waited for. Returns the records still queued.
   */
  async drain(deadlineMs: number): Promise<number> {
    await this.#busy;
    while (this.queue.length > 0 && Date.now() < deadlineMs && !this.#closed) {
      const before = this.#sent + this.#rejected;
      await this.#run();
      if (this.#state !== "ok" || this.#sent + this.#rejected === before) break;
    }
    return this.queue.length;
  }

  /** Stops the timer and closes the sink (ending a send in flight); queued records stay counted. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#sink.close().catch(() => {});
    await this.#busy;
  }

  #tick(): void {
    if (this.#busy || this.#closed || Date.now() < this.#retryAtMs) return;
    this.#run();
  }

  /** One round: open if needed, send full batches while there are records, maintain. */
  #run(): Promise<void> {
    if (this.#busy) return this.#busy;
    this.#busy = this.#round().finally(() => (this.#busy = undefined));
    return this.#busy;
  }

  async #round(): Promise<void> {
    try {
      if (!this.#opened) {
        await this.#sink.open();
        this.#opened = true;
        this.#succeeded();
      }
      while (this.queue.length > 0 && !this.#closed) {
        const batch = this.queue.peek(this.options.batchSize);
        try {
          await this.#sink.send(batch);
          this.#sent += batch.length;
          this.#lastSentMs = Date.now();
        } catch (error) {
          if (!isRejection(error)) throw error;
          this.#rejected += batch.length;
          this.#lastError = errorLine(error);
        }
        this.queue.discard(batch.length);
        this.#succeeded();
        // Keep going only while full batches are waiting; a partial one waits for the timer.
        if (this.queue.length < this.options.batchSize) break;
      }
      await this.#sink.maintain?.(Date.now());
    } catch (error) {
      this.#failed(error);
    }
  }

  #succeeded(): void {
    this.#state = "ok";
    this.#backoffMs = 0;
    this.#retryAtMs = 0;
  }

  #failed(error: unknown): void {
    const permanent = error instanceof ExportError && error.failure === "permanent";
    this.#failures++;
    this.#lastError = errorLine(error);
    this.#state = permanent ? "failed" : "retrying";
    this.#opened = false;
    const { minBackoffMs, maxBackoffMs } = this.options;
    this.#backoffMs = permanent
      ? maxBackoffMs
      : Math.min(maxBackoffMs, this.#backoffMs ? this.#backoffMs * 2 : minBackoffMs);
    // Jitter: between half and all of the backoff, so agents that failed together spread out.
    this.#retryAtMs = Date.now() + this.#backoffMs * (0.5 + Math.random() / 2);
  }
}

/** True when the error says the batch's data was refused (or could not be encoded). */
function isRejection(error: unknown): boolean {
  if (error instanceof ExportError) return error.failure === "rejected";
  return error instanceof TypeError || error instanceof RangeError;
}

function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
