// The capture thread: reads libpcap in batches, decodes, and hands batches to the main thread.
//
// It runs in a Worker so that no HTTP or WebSocket load on the main thread can stall it. Batches
// come from a fixed pool and are transferred, not copied; when the main thread has not returned
// any, the worker stops reading and the kernel ring buffer absorbs the burst (and counts drops
// there, where pcap_stats() reports them). Memory is therefore bounded by the pool.

/// <reference lib="deno.worker" />

import { CaptureError } from "./capture_error.ts";
import { type CaptureSink, runSource } from "./capture_loop.ts";
import { PacketBatch } from "./packet_batch.ts";
import type { FromWorker, SourceOptions, ToWorker } from "./source.ts";
import { Waker } from "./waker.ts";

const free: ArrayBuffer[] = [];
/** Ends whatever the loop is waiting on (a returned batch, or a sleep) when stop arrives. */
const waker = new Waker();
let stopping = false;
let batchCapacity = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Batches go to the main thread; the loop waits for one to come back when none is free. */
const sink: CaptureSink = {
  get stopping() {
    return stopping;
  },
  async take() {
    while (!free.length && !stopping) {
      await waker.wait();
    }
    const buffer = free.pop();
    if (!buffer || stopping) return undefined;
    const batch = new PacketBatch(batchCapacity, buffer);
    batch.count = 0;
    return batch;
  },
  hand(batch, handle) {
    post({
      type: "batch",
      buffer: batch.buffer,
      count: batch.count,
      stats: handle?.stats(),
      overruns: handle?.overruns,
    }, [batch.buffer]);
  },
  stats(handle) {
    post({ type: "stats", stats: handle.stats(), overruns: handle.overruns });
  },
  sleep(ms) {
    return waker.sleep(ms);
  },
  yieldEveryMs: 100,
  handEachRead: false,
  note(message) {
    console.error(message);
  },
};

async function run(source: SourceOptions): Promise<void> {
  try {
    const end = await runSource(source, sink, (info) => post({ type: "ready", info }));
    post({ type: "end", stats: end.stats, overruns: end.overruns });
  } catch (error) {
    reportError(error);
  }
}

function reportError(error: unknown): void {
  if (error instanceof CaptureError) {
    post({ type: "error", kind: error.kind, message: error.message });
  } else {
    post({ type: "error", kind: "failed", message: `Capture failed: ${String(error)}` });
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      batchCapacity = message.batchCapacity;
      for (let i = 0; i < message.poolSize; i++) {
        free.push(new ArrayBuffer(PacketBatch.byteLength(batchCapacity)));
      }
      run(message.source).finally(() => self.close());
      break;
    case "return":
      free.push(message.buffer);
      waker.wake();
      break;
    case "stop":
      stopping = true;
      waker.wake();
      break;
  }
};
