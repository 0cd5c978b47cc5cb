// Main-thread face of a capture: starts the worker, receives batches, returns them, stops it.

import { CaptureError } from "./capture_error.ts";
import { BATCH_CAPACITY, PacketBatch } from "./packet_batch.ts";
import type { CaptureStats } from "./pcap_handle.ts";
import type { FromWorker, SourceInfo, SourceOptions, ToWorker } from "./source.ts";

/** Tuning for a capture session; the defaults suit 1.5 Mpps on a small machine. */
export interface SessionOptions {
  /** Packets per batch handed to the main thread. */
  batchCapacity?: number;
  /** Batches in flight; when all are with the main thread, the worker waits. */
  poolSize?: number;
}

/** Called for each batch, on the main thread. The batch is only valid during the call. */
export type BatchHandler = (batch: PacketBatch) => void;

const DEFAULT_POOL_SIZE = 16;

/** A running capture. Create it with CaptureSession.start(). */
export class CaptureSession {
  readonly info: SourceInfo;
  /** The latest kernel counters (live captures), refreshed about once a second. */
  stats: CaptureStats | undefined;
  /** Records lost inside Netwatch's own batching (should stay 0; shown in stats). */
  overruns = 0;
  /** Resolves when the capture ends: end of file, stop(), or an error (then it rejects). */
  readonly done: Promise<void>;

  #worker: Worker;
  #stopRequested = false;

  private constructor(worker: Worker, info: SourceInfo, done: Promise<void>) {
    this.#worker = worker;
    this.info = info;
    this.done = done;
  }

  /**
   * Starts capturing from `source`, calling `onBatch` for every batch of decoded packets.
   * Resolves once the source is open; rejects with a CaptureError if it cannot be opened.
   */
  static start(
    source: SourceOptions,
    onBatch: BatchHandler,
    options: SessionOptions = {},
  ): Promise<CaptureSession> {
    const batchCapacity = options.batchCapacity ?? BATCH_CAPACITY;
    const worker = new Worker(new URL("./capture_worker.ts", import.meta.url).href, {
      type: "module",
    });
    return new Promise((resolveStart, rejectStart) => {
      let session: CaptureSession | undefined;
      let finish: (error?: CaptureError) => void = () => {};
      const done = new Promise<void>((resolve, reject) => {
        finish = (error) => {
          worker.terminate();
          if (error) reject(error);
          else resolve();
        };
      });
      // Nobody may await `done` when a capture fails to start; the error goes to start() then.
      done.catch(() => {});
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        switch (message.type) {
          case "ready":
            session = new CaptureSession(worker, message.info, done);
            resolveStart(session);
            break;
          case "batch": {
            if (session && message.stats) {
              session.stats = message.stats;
              session.overruns = message.overruns ?? session.overruns;
            }
            const batch = new PacketBatch(batchCapacity, message.buffer);
            batch.count = message.count;
            try {
              onBatch(batch);
            } finally {
              const back: ToWorker = { type: "return", buffer: message.buffer };
              worker.postMessage(back, [message.buffer]);
            }
            break;
          }
          case "stats":
            if (session) {
              session.stats = message.stats;
              session.overruns = message.overruns;
            }
            break;
          case "end":
            if (session) {
              session.stats = message.stats ?? session.stats;
              session.overruns = message.overruns;
            }
            finish();
            break;
          case "error": {
            const error = new CaptureError(message.kind, message.message);
            if (session) finish(error);
            else {
              finish();
              rejectStart(error);
            }
            break;
          }
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = new CaptureError("failed", `Capture worker failed: ${event.message}`);
        if (session) finish(error);
        else {
          finish();
          rejectStart(error);
        }
      };
      const start: ToWorker = {
        type: "start",
        source,
        batchCapacity,
        poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
      };
      worker.postMessage(start);
    });
  }

  /** Stops capturing; resolves after the last batch has been delivered. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.#stopRequested) {
      this.#stopRequested = true;
      const stop: ToWorker = { type: "stop" };
      this.#worker.postMessage(stop);
    }
    await this.done;
  }
}
