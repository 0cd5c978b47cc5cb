// The capture thread: reads libpcap in batches, decodes, and hands batches to the main thread.
//
// It runs in a Worker so that no HTTP or WebSocket load on the main thread can stall it. Batches
// come from a fixed pool and are transferred, not copied; when the main thread has not returned
// any, the worker stops reading and the kernel ring buffer absorbs the burst (and counts drops
// there, where pcap_stats() reports them). Memory is therefore bounded by the pool.

/// <reference lib="deno.worker" />

import { CaptureError } from "./capture_error.ts";
import { PacketBatch } from "./packet_batch.ts";
import { openCaptureFile, type PacketReader } from "./pcap_file.ts";
import { PcapHandle } from "./pcap_handle.ts";
import { ReplayPacer, skipNotice, sleepStep } from "./replay_pacing.ts";
import type { FromWorker, SourceOptions, ToWorker } from "./source.ts";

/** While packets flow, an interface is read this often (and a file yields this often). */
const READ_EVERY_MS = 100;
/** A paced file replay hands a partly filled batch over after this long. */
const FLUSH_AFTER_MS = 50;
/** Kernel counters are one cheap FFI call: refresh them often, so they never lag far behind. */
const STATS_EVERY_MS = 250;

const free: ArrayBuffer[] = [];
/** Resolves whatever the loop is waiting on (a returned batch, or a sleep) when stop arrives. */
let wake: (() => void) | undefined;
let stopping = false;
let batchCapacity = 0;
/** The live handle while a read may be waiting in libpcap (stop breaks that wait). */
let waiting: PcapHandle | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Sleeps for `ms`, or less if a stop or a returned batch arrives. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/** A batch from the pool, waiting for the main thread to return one if none is free. */
async function takeBatch(): Promise<PacketBatch | undefined> {
  while (!free.length && !stopping) {
    await new Promise<void>((resolve) => (wake = resolve));
  }
  const buffer = free.pop();
  if (!buffer || stopping) return undefined;
  const batch = new PacketBatch(batchCapacity, buffer);
  batch.count = 0;
  return batch;
}

/** Hands `batch` to the main thread; from a live `handle`, with its counters read now. */
function hand(batch: PacketBatch, handle?: PcapHandle): void {
  post({
    type: "batch",
    buffer: batch.buffer,
    count: batch.count,
    stats: handle?.stats(),
    overruns: handle?.overruns,
  }, [batch.buffer]);
}

async function run(source: SourceOptions): Promise<void> {
  let handle: PacketReader;
  let live: PcapHandle | undefined;
  try {
    if (source.kind === "file") handle = openCaptureFile(source.path, source.filter);
    else handle = live = PcapHandle.openLive(source);
  } catch (error) {
    reportError(error);
    return;
  }
  post({
    type: "ready",
    info: {
      name: source.kind === "file" ? source.path : source.device,
      kind: source.kind,
      linkType: handle.linkType.name,
      dlt: handle.linkType.dlt,
      snaplen: handle.snaplen,
      filter: source.filter,
    },
  });
  try {
    if (live) {
      await readLive(live);
    } else if (source.kind === "file") {
      const speed = source.speed ?? Infinity;
      if (Number.isFinite(speed) && speed > 0) {
        await readPaced(handle, speed, source.rebaseTime === true);
      } else {
        await readFile(handle, source.rebaseTime === true);
      }
    }
    post({ type: "end", stats: handle.stats(), overruns: handle.overruns });
  } catch (error) {
    reportError(error);
  } finally {
    handle.close();
  }
}

/**
 * Reads an interface with as few wake-ups as it can: in Deno every wake-up of a thread, by a
 * timer or by an FFI call that waited, costs about 300 us of CPU (measured), more than the
 * packets of a kernel block cost to decode. So:
 * - while traffic flows, the worker wakes every READ_EVERY_MS and reads everything the kernel
 *   ring holds without waiting (a 64 MiB ring holds far more than that at 1.49 Mpps);
 * - once a read finds the ring empty, it waits inside libpcap, off this thread, until the
 *   kernel hands over a block: an idle interface costs no CPU at all.
 * A batch is handed over when full or when the ring is drained, with the kernel counters in
 * the same message (a message between threads costs about 100 us of CPU).
 */
async function readLive(handle: PcapHandle): Promise<void> {
  let batch = await takeBatch();
  let lastStats = 0;
  /** Packets came in the last wait: traffic has started, so read on the clock again. */
  let woken = false;
  try {
    while (batch && !stopping) {
      const started = Date.now();
      const requested = Math.min(handle.perDispatch, batch.capacity - batch.count);
      handle.setNonBlocking(true);
      const n = handle.read(batch, requested);
      if (batch.count === batch.capacity || (n < requested && batch.count > 0)) {
        hand(batch, handle);
        lastStats = started;
        batch = await takeBatch();
        if (!batch) break;
      } else if (started - lastStats >= STATS_EVERY_MS) {
        post({ type: "stats", stats: handle.stats(), overruns: handle.overruns });
        lastStats = started;
      }
      if (n === requested) continue; // more is waiting in the ring
      if (n > 0 || woken) {
        woken = false;
        // A returned batch also ends a sleep: sleep again until the next read is due.
        const due = started + READ_EVERY_MS;
        while (!stopping && Date.now() < due) await sleep(due - Date.now());
        continue;
      }
      // The ring is empty: wait in libpcap for the next block.
      handle.setNonBlocking(false);
      waiting = handle;
      woken = await handle.waitAndRead(batch) > 0;
      waiting = undefined;
    }
  } finally {
    waiting = undefined;
    if (batch && batch.count > 0) hand(batch, handle);
  }
}

/** Reads a file as fast as it can be read and decoded. */
async function readFile(handle: PacketReader, rebase: boolean): Promise<void> {
  let batch = await takeBatch();
  try {
    while (batch && !stopping) {
      const started = Date.now();
      const before = batch.count;
      const n = handle.read(batch);
      if (rebase) { for (let i = before; i < batch.count; i++) setTimestamp(batch, i, started); }
      if (batch.count === batch.capacity || (n === 0 && batch.count > 0)) {
        hand(batch);
        batch = await takeBatch();
      }
      if (n === 0) break; // end of file
      if (Date.now() - started > READ_EVERY_MS) {
        await sleep(0); // let "stop" and "return" messages in during a long read
      }
    }
  } finally {
    if (batch && batch.count > 0) hand(batch);
  }
}

/** Replays a file at `speed` times its own pace, one packet at a time (replay_pacing.ts). */
async function readPaced(handle: PacketReader, speed: number, rebase: boolean): Promise<void> {
  const next = new PacketBatch(1);
  const pacer = new ReplayPacer(speed);
  let batch = await takeBatch();
  let lastFlush = Date.now();
  try {
    while (batch && !stopping) {
      next.count = 0;
      if (handle.read(next, 1) === 0) break; // end of file
      const skipped = pacer.skipped;
      const due = pacer.due(next.timestamp(0), Date.now());
      if (skipped === 0 && pacer.firstSkip) console.error(skipNotice(pacer.firstSkip));
      if (rebase) setTimestamp(next, 0, due);
      if (due > Date.now()) {
        // Hand over what is already due, then wait for this packet's moment.
        if (batch.count > 0) {
          hand(batch);
          lastFlush = Date.now();
          batch = await takeBatch();
          if (!batch) break;
        }
        // In bounded steps: a returned batch also ends a sleep early, and stop is seen soon.
        while (!stopping && due > Date.now()) await sleep(sleepStep(due, Date.now()));
        if (stopping) break;
      }
      copySlot(next, 0, batch, batch.count++);
      if (batch.count === batch.capacity || Date.now() - lastFlush >= FLUSH_AFTER_MS) {
        hand(batch);
        lastFlush = Date.now();
        batch = await takeBatch();
      }
    }
  } finally {
    if (batch && batch.count > 0) hand(batch);
  }
}

function setTimestamp(batch: PacketBatch, i: number, ms: number): void {
  batch.tsSec[i] = Math.floor(ms / 1000);
  batch.tsNsec[i] = Math.round((ms % 1000) * 1e6);
}

function copySlot(from: PacketBatch, i: number, to: PacketBatch, j: number): void {
  to.tsSec[j] = from.tsSec[i];
  to.tsNsec[j] = from.tsNsec[i];
  to.wireLen[j] = from.wireLen[i];
  to.src.set(from.src.subarray(i * 4, i * 4 + 4), j * 4);
  to.dst.set(from.dst.subarray(i * 4, i * 4 + 4), j * 4);
  to.srcPort[j] = from.srcPort[i];
  to.dstPort[j] = from.dstPort[i];
  to.vlan[j] = from.vlan[i];
  to.kind[j] = from.kind[i];
  to.proto[j] = from.proto[i];
  to.flags[j] = from.flags[i];
  to.tcpFlags[j] = from.tcpFlags[i];
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
      wake?.();
      wake = undefined;
      break;
    case "stop":
      stopping = true;
      waiting?.breakLoop();
      wake?.();
      wake = undefined;
      break;
  }
};
