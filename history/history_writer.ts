// The engine side's way in: posts writes to the history worker through a bounded queue.
//
// Items posted and not yet committed are counted; past `maxQueued` a write is dropped whole and
// counted, so a slow or stuck disk costs memory up to the bound and no more. Flows can be handed
// over one at a time: they are sent in batches, at most `flushMs` late.

import type {
  FromHistory,
  HostMinute,
  LearnedName,
  MinuteTotals,
  StoredFlow,
  WriteMessage,
} from "./types.ts";
import { itemsOf } from "./types.ts";

/** Default queue bound, in items (a minute's host row, a flow, a name each count one). */
export const DEFAULT_MAX_QUEUED = 200_000;
/** Flows buffered by flow() before they are posted. */
const FLOW_BATCH = 1000;

/** Where writes go: a Worker, a MessagePort, or a test double. */
export interface WriteTarget {
  postMessage(message: WriteMessage): void;
}

/** Counters of a writer. */
export interface WriterStats {
  /** Items posted and not yet committed (or failed). */
  queued: number;
  /** Items dropped because the queue was full. */
  dropped: number;
  /** Items posted. */
  posted: number;
}

/** Posts writes to the history worker, bounded; never throws. */
export class HistoryWriter {
  readonly stats: WriterStats = { queued: 0, dropped: 0, posted: 0 };
  readonly #target: WriteTarget;
  readonly #maxQueued: number;
  #flows: StoredFlow[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  /** Resolvers of drain(), called when the queue empties. */
  #drained: (() => void)[] = [];

  constructor(target: WriteTarget, options: { maxQueued?: number; flushMs?: number } = {}) {
    this.#target = target;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    const flushMs = options.flushMs ?? 500;
    this.#timer = setInterval(() => this.flushFlows(), flushMs);
    // The timer must not keep a process (or a worker) alive on its own.
    Deno.unrefTimer(this.#timer);
  }

  /**
   * A writer on a MessagePort the history client handed out (HistoryClient.writerPort()),
   * for use in another worker, such as the engine's. It reads its acknowledgements from it.
   */
  static onPort(port: MessagePort, options?: { maxQueued?: number; flushMs?: number }) {
    const writer = new HistoryWriter(port, options);
    port.onmessage = (event: MessageEvent<FromHistory>) => {
      if (event.data.type === "ack") writer.acked(event.data.items);
    };
    return writer;
  }

  /** A finished minute: its totals and host rows (see hostMinutes()). False when dropped. */
  minute(totals: MinuteTotals, hosts: HostMinute[]): boolean {
    return this.#post({ type: "minute", totals, hosts });
  }

  /** One ended flow, sent with others within flushMs. */
  flow(flow: StoredFlow): void {
    this.#flows.push(flow);
    if (this.#flows.length >= FLOW_BATCH) this.flushFlows();
  }

  /** Ended flows, sent now. False when dropped. */
  flows(flows: StoredFlow[]): boolean {
    return flows.length === 0 || this.#post({ type: "flows", flows });
  }

  /** Names learned from traffic. False when dropped. */
  names(names: LearnedName[]): boolean {
    return names.length === 0 || this.#post({ type: "names", names });
  }

  /** Sends the flows buffered by flow(). */
  flushFlows(): void {
    if (this.#flows.length === 0) return;
    const flows = this.#flows;
    this.#flows = [];
    this.#post({ type: "flows", flows });
  }

  /** The worker committed (or gave up on) `items` items. */
  acked(items: number): void {
    this.stats.queued = Math.max(0, this.stats.queued - items);
    if (this.stats.queued === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /**
   * Sends what is buffered and resolves when the worker has committed everything this writer
   * sent (within a commit interval), or after `timeoutMs`. Resolves true when drained. Call it
   * before HistoryClient.close() on shutdown: writes on a port are not ordered with the close.
   */
  drain(timeoutMs = 5000): Promise<boolean> {
    this.flushFlows();
    if (this.stats.queued === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Sends what is buffered and stops the timer. */
  close(): void {
    this.flushFlows();
    clearInterval(this.#timer);
  }

  #post(message: WriteMessage): boolean {
    const items = itemsOf(message);
    if (this.stats.queued + items > this.#maxQueued) {
      this.stats.dropped += items;
      return false;
    }
    try {
      this.#target.postMessage(message);
    } catch {
      // A closed worker or port: the write is lost, and counted.
      this.stats.dropped += items;
      return false;
    }
    this.stats.queued += items;
    this.stats.posted += items;
    return true;
  }
}
