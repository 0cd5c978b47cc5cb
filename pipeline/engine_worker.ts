// A pipeline worker: capture, decode and the flow engine on one thread, answering queries.
//
// Packets never cross threads: each read is decoded into a batch and accounted on the spot,
// while the raw bytes are still there. The main thread (HTTP, the stream, the dashboard) only
// sends queries and receives answers and a status every STATUS_MS, so no load on either side
// can stall the other: a flood saturates this thread, and the API keeps answering from the
// next yield (a file read yields every YIELD_MS; a live read sleeps between kernel blocks).
//
// A live interface that fails (unplugged, down) is reopened every RETRY_MS by this worker,
// which keeps its engine and history, so nothing is lost across the gap.

/// <reference lib="deno.worker" />

import { CaptureError } from "../capture/capture_error.ts";
import { type CaptureSink, runSource } from "../capture/capture_loop.ts";
import { BATCH_CAPACITY, PacketBatch } from "../capture/packet_batch.ts";
import type { CaptureStats, PcapHandle } from "../capture/pcap_handle.ts";
import type { SourceOptions } from "../capture/source.ts";
import { Waker } from "../capture/waker.ts";
import { createExporters, exportListener, stopExport } from "../export/attach.ts";
import type { ExportArgs } from "../export/export_url.ts";
import type { Exporters } from "../export/exporters.ts";
import type { FlowEndListener } from "../flows/flow_engine.ts";
import { GeoIp } from "../flows/identity/geoip.ts";
import { HistoryWriter } from "../history/history_writer.ts";
import { HistoryFeed } from "./history_feed.ts";
import { type FromShard, type ShardStatus, startingStatus, type ToShard } from "./protocol.ts";
import { Shard, shardError } from "./shard.ts";

/** How often the main thread hears the counters. */
const STATUS_MS = 100;
/** How often idle flows are ended and drops folded into the series. */
const TICK_MS = 1000;
/** A long file read lets queries in this often. */
const YIELD_MS = 5;
/** How often a failed live interface is reopened. */
export const RETRY_MS = 2000;

let shard: Shard;
let source: SourceOptions;
let exporters: Exporters | undefined;
let feed: HistoryFeed | undefined;
let fanoutGroup: number | undefined;
let stopping = false;
/** Ends the sleep between live reads or before a retry when stop arrives. */
const waker = new Waker();
let started = false;
let capturing: Promise<void> = Promise.resolve();
const batch = new PacketBatch(BATCH_CAPACITY);
const status = startingStatus();
/** Kernel counters of the handles before the current one, and of the current one. */
const before = { received: 0, droppedByKernel: 0, droppedByInterface: 0, overruns: 0 };
let current: CaptureStats | undefined;
let currentOverruns = 0;
let lastRate = { packets: 0, at: performance.now() };

function post(message: FromShard): void {
  self.postMessage(message);
}

function nowSec(): number {
  return Math.max(Date.now() / 1000, shard.engine.now);
}

/** Batches are accounted here and now, then reused: nothing is queued, nothing copied. */
const sink: CaptureSink = {
  get stopping() {
    return stopping;
  },
  take() {
    batch.count = 0;
    return stopping ? undefined : batch;
  },
  hand(filled, handle) {
    shard.add(filled);
    filled.count = 0;
    if (handle) sample(handle);
  },
  stats(handle) {
    sample(handle);
  },
  sleep(ms) {
    return ms <= 0 ? yieldToMessages() : waker.sleep(ms);
  },
  yieldEveryMs: YIELD_MS,
  handEachRead: true,
  note(message) {
    console.error(message);
  },
};

/**
 * Lets queued messages (queries, stop) run, then resumes: a message to ourselves, not
 * setTimeout(0), which browsers and Deno clamp to 4 ms once timers nest five deep, as a read
 * loop's do: yielding every 5 ms through it left the thread idle nearly half the time.
 */
const channel = new MessageChannel();
let resumeRead: (() => void) | undefined;
channel.port1.onmessage = () => {
  const resume = resumeRead;
  resumeRead = undefined;
  resume?.();
};
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    resumeRead = resolve;
    channel.port2.postMessage(0);
  });
}

function sample(handle: PcapHandle): void {
  current = handle.stats();
  currentOverruns = handle.overruns;
}

/** The status as it is now. */
function snapshot(): ShardStatus {
  const c = shard.counters;
  status.packets = c.packets;
  status.bytes = c.bytes;
  status.malformed = c.malformed;
  status.truncated = c.truncated;
  status.engineNow = shard.engine.now;
  status.overruns = before.overruns + currentOverruns;
  if (exporters) status.export = exporters.status();
  if (feed) status.historyDropped = feed.dropped;
  if (source.kind === "interface") {
    status.stats = {
      received: before.received + (current?.received ?? 0),
      droppedByKernel: before.droppedByKernel + (current?.droppedByKernel ?? 0),
      droppedByInterface: before.droppedByInterface + (current?.droppedByInterface ?? 0),
    };
  }
  return status;
}

function sendStatus(): void {
  post({ type: "status", status: snapshot() });
}

function tick(): void {
  const s = snapshot();
  const dropped = s.stats ? s.stats.droppedByKernel + s.stats.droppedByInterface : 0;
  shard.tick(nowSec(), dropped);
  feed?.tick(shard.engine, nowSec());
  const at = performance.now();
  status.packetsPerSecond = (s.packets - lastRate.packets) * 1000 /
    Math.max(1, at - lastRate.at);
  lastRate = { packets: s.packets, at };
}

/** Folds a finished handle's counters into the running totals. */
function retire(): void {
  before.received += current?.received ?? 0;
  before.droppedByKernel += current?.droppedByKernel ?? 0;
  before.droppedByInterface += current?.droppedByInterface ?? 0;
  before.overruns += currentOverruns;
  current = undefined;
  currentOverruns = 0;
}

function fail(error: unknown): void {
  status.state = "error";
  status.error = error instanceof CaptureError
    ? { kind: error.kind, message: error.message }
    : { kind: "failed", message: `Capture failed: ${String(error)}` };
}

/** Captures until the end of the file, a stop, or (live) forever, reopening on failure. */
async function capture(): Promise<void> {
  for (;;) {
    try {
      const end = await runSource(source, sink, (info) => {
        status.info = info;
        if (started) status.restarts++;
        started = true;
        status.state = "running";
        status.error = undefined;
        sendStatus();
      }, (handle) => {
        if (fanoutGroup !== undefined) handle.joinFanout(fanoutGroup);
      });
      current = end.stats ?? current;
      currentOverruns = end.overruns;
      if (!stopping) status.state = "ended";
    } catch (error) {
      if (!started) {
        const e = error instanceof CaptureError ? error : undefined;
        post({
          type: "start-failed",
          kind: e?.kind ?? "failed",
          message: e?.message ?? `Capture failed: ${String(error)}`,
        });
        return;
      }
      fail(error);
      retire();
      tick();
      sendStatus();
      if (source.kind === "interface" && !stopping) {
        await sink.sleep(RETRY_MS);
        if (!stopping) continue;
      }
    }
    break;
  }
  if (stopping && status.state !== "error") status.state = "stopped";
  tick();
  sendStatus();
}

/**
 * Stops the capture (if it still runs) and, when it has ended, exports every flow still active
 * as ended ("forced") and drains the export queues (at most 10 s). The engine stays readable.
 */
async function shutdown(): Promise<void> {
  stopping = true;
  waker.wake();
  await capturing;
  if (status.state === "running") status.state = "stopped";
  // Every flow still active ends now ("forced"): export and history get it like any other.
  shard.endAll();
  if (feed) await feed.finish(shard.engine, nowSec());
  if (exporters) await stopExport(shard.engine, exporters);
  status.finished = true;
  sendStatus();
}

/** One end listener calling `a` then `b` (either may be missing). */
function both(a?: FlowEndListener, b?: FlowEndListener): FlowEndListener | undefined {
  if (!a || !b) return a ?? b;
  return function ended(store, slot, reason) {
    a(store, slot, reason);
    b(store, slot, reason);
  };
}

/** This shard's exporters: each shard is its own IPFIX observation domain (base + shard). */
function startExport(args: ExportArgs | undefined, index: number): Exporters | undefined {
  if (!args || args.destinations.length === 0) return undefined;
  const destinations = args.destinations.map((d) =>
    "observationDomainId" in d && typeof d.observationDomainId === "number"
      ? { ...d, observationDomainId: d.observationDomainId + index }
      : d
  );
  return createExporters(
    { ...args, destinations },
    source.kind === "interface" ? source.device : undefined,
  );
}

self.onmessage = (event: MessageEvent<ToShard>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      source = message.source;
      fanoutGroup = message.fanoutGroup;
      try {
        exporters = startExport(message.export, message.shard);
        const geoip = message.geoip?.length ? GeoIp.open(message.geoip) : undefined;
        // Reloads are said once, by the first worker (each worker reads its own copy).
        geoip?.watch(60, message.shard === 0 ? (line) => console.error(line) : undefined);
        if (message.history) feed = new HistoryFeed(HistoryWriter.onPort(message.history));
        shard = new Shard({
          ...message.flows,
          geoip,
          idOffset: (message.idBase ?? 0) + message.shard,
          idStride: message.shards,
          onFlowEnd: both(exporters && exportListener(exporters), feed?.listener()),
        });
        feed?.setLabels(shard.engine.identity);
        if (exporters) exporters.handoff.labels = shard.engine.identity;
        exporters?.start();
      } catch (error) {
        // The tables are allocated up front: a size the machine cannot give fails here.
        const message = error instanceof RangeError
          ? `cannot allocate the flow tables (${error.message}): lower --max-flows, ` +
            "--max-history or --max-hosts"
          : (error as Error).message;
        post({ type: "start-failed", kind: "failed", message });
        return;
      }
      setInterval(sendStatus, STATUS_MS);
      setInterval(tick, TICK_MS);
      capturing = capture();
      break;
    case "query":
      try {
        post({ type: "answer", id: message.id, value: shard.answer(message.request, nowSec()) });
      } catch (error) {
        post({ type: "failed", id: message.id, error: shardError(error) });
      }
      break;
    case "stop":
      if (!stopping) shutdown();
      break;
    case "close":
      self.close();
      break;
  }
};
