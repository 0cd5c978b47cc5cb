// The read loops of a capture: a live interface, a file as fast as it reads, a file at its pace.
//
// They run in a worker and hand each batch to a `CaptureSink`: the capture worker transfers
// batches to the main thread (netwatch capture), the pipeline worker accounts them on the spot
// (serve). The loops own the timing: how often an interface is read, when to wait inside
// libpcap, when a long read yields to the worker's messages, how a replay is paced.

import { copySlot, PacketBatch } from "./packet_batch.ts";
import { openCaptureFile, type PacketReader } from "./pcap_file.ts";
import { type CaptureStats, PcapHandle } from "./pcap_handle.ts";
import { ReplayPacer, skipNotice, sleepStep } from "./replay_pacing.ts";
import type { SourceInfo, SourceOptions } from "./source.ts";

/** While packets flow, an interface is read this often. */
const READ_EVERY_MS = 100;
/** A paced file replay hands a partly filled batch over after this long. */
const FLUSH_AFTER_MS = 50;
/**
 * Bytes of payload a paced batch keeps: each packet is read on its own (the reader's memory then
 * holds only it), so its payload is copied here for the engine's name and app inspection.
 * Larger than any payload (snapshot lengths stop at 256 KiB).
 */
const PACED_PAYLOAD_BYTES = 1 << 20;
/** Kernel counters are one cheap FFI call: refresh them often, so they never lag far behind. */
const STATS_EVERY_MS = 250;

/** Where a loop's batches go, and how it waits. */
export interface CaptureSink {
  /** True once the capture should stop. */
  readonly stopping: boolean;
  /**
   * A batch to fill (count 0), or undefined when stopping. May wait (the capture worker waits
   * for the main thread to return one).
   */
  take(): Promise<PacketBatch | undefined> | PacketBatch | undefined;
  /** Takes a filled batch; `handle` is the live handle whose counters go with it. */
  hand(batch: PacketBatch, handle?: PcapHandle): void;
  /** Live capture: the kernel counters, sent between batches. */
  stats(handle: PcapHandle): void;
  /** Sleeps up to `ms`, or less if a stop (or a returned batch) arrives. */
  sleep(ms: number): Promise<void>;
  /** Called while a live read waits inside libpcap, with the handle stop() must break. */
  waiting(handle: PcapHandle | undefined): void;
  /** A long read (a file, or a live ring that stays full) yields this often (ms) to messages. */
  readonly yieldEveryMs: number;
  /** Hand every read over at once (the raw bytes are valid only until the next read). */
  readonly handEachRead: boolean;
  /** Writes a line (already prefixed "netwatch: ") on stderr: a replay skipping a gap. */
  note(message: string): void;
}

/** How a capture ended: its final kernel counters (live) and overruns. */
export interface CaptureEnd {
  stats: CaptureStats | undefined;
  overruns: number;
}

/**
 * Opens `source` (throwing CaptureError when it cannot be opened), calls `ready` with what was
 * opened, then runs the loop that suits it until the end of the file, a stop or an error
 * (thrown). `configure` may adjust a live handle before reading (PACKET_FANOUT).
 */
export async function runSource(
  source: SourceOptions,
  sink: CaptureSink,
  ready: (info: SourceInfo) => void,
  configure?: (handle: PcapHandle) => void,
): Promise<CaptureEnd> {
  let handle: PacketReader;
  let live: PcapHandle | undefined;
  if (source.kind === "file") handle = openCaptureFile(source.path, source.filter);
  else handle = live = PcapHandle.openLive(source);
  try {
    if (live && configure) configure(live);
    ready({
      name: source.kind === "file" ? source.path : source.device,
      kind: source.kind,
      linkType: handle.linkType.name,
      dlt: handle.linkType.dlt,
      snaplen: handle.snaplen,
      filter: source.filter,
    });
    if (live) {
      await readLive(live, sink);
    } else if (source.kind === "file") {
      const speed = source.speed ?? Infinity;
      if (Number.isFinite(speed) && speed > 0) {
        await readPaced(handle, speed, source.rebaseTime === true, sink);
      } else {
        await readFile(handle, source.rebaseTime === true, sink);
      }
    }
    return { stats: handle.stats(), overruns: handle.overruns };
  } finally {
    handle.close();
  }
}

/**
 * Reads an interface with as few wake-ups as it can: in Deno every wake-up of a thread, by a
 * timer or by an FFI call that waited, costs about 300 us of CPU (measured), more than the
 * packets of a kernel block cost to decode. So:
 * - while traffic flows, the loop wakes every READ_EVERY_MS and reads everything the kernel
 *   ring holds without waiting (a 64 MiB ring holds far more than that at 1.49 Mpps);
 * - once a read finds the ring empty, it waits inside libpcap, off this thread, until the
 *   kernel hands over a block: an idle interface costs no CPU at all.
 */
export async function readLive(handle: PcapHandle, sink: CaptureSink): Promise<void> {
  let batch = await sink.take();
  let lastStats = 0;
  let yielded = Date.now();
  /** Packets came in the last wait: traffic has started, so read on the clock again. */
  let woken = false;
  try {
    while (batch && !sink.stopping) {
      const started = Date.now();
      const requested = Math.min(handle.perDispatch, batch.capacity - batch.count);
      handle.setNonBlocking(true);
      const n = handle.read(batch, requested);
      const full = batch.count === batch.capacity;
      if (full || (batch.count > 0 && (n < requested || sink.handEachRead))) {
        sink.hand(batch, handle);
        lastStats = started;
        batch = await sink.take();
        if (!batch) break;
      } else if (started - lastStats >= STATS_EVERY_MS) {
        sink.stats(handle);
        lastStats = started;
      }
      if (n === requested) {
        // More is waiting in the ring. Under a flood it always is, so let messages (queries,
        // stop) in as a long file read does, or the API waits until the ring drains.
        if (started - yielded >= sink.yieldEveryMs) {
          await sink.sleep(0);
          yielded = Date.now();
        }
        continue;
      }
      if (n > 0 || woken) {
        woken = false;
        // A returned batch also ends a sleep: sleep again until the next read is due.
        const due = started + READ_EVERY_MS;
        while (!sink.stopping && Date.now() < due) await sink.sleep(due - Date.now());
        yielded = Date.now();
        continue;
      }
      // The ring is empty: wait in libpcap for the next block.
      handle.setNonBlocking(false);
      sink.waiting(handle);
      woken = await handle.waitAndRead(batch) > 0;
      sink.waiting(undefined);
      if (woken && sink.handEachRead) {
        sink.hand(batch, handle);
        batch = await sink.take();
      }
    }
  } finally {
    sink.waiting(undefined);
    if (batch && batch.count > 0) sink.hand(batch, handle);
  }
}

/**
 * Reads a file as fast as it can be read and decoded; `rebase` shifts its timestamps so that
 * it reads as live traffic happening now.
 */
export async function readFile(handle: PacketReader, rebase: boolean, sink: CaptureSink) {
  let batch = await sink.take();
  let yielded = Date.now();
  try {
    while (batch && !sink.stopping) {
      const started = Date.now();
      const before = batch.count;
      const n = handle.read(batch);
      if (rebase) { for (let i = before; i < batch.count; i++) setTimestamp(batch, i, started); }
      if (
        batch.count === batch.capacity || (n === 0 && batch.count > 0) ||
        (sink.handEachRead && batch.count > 0)
      ) {
        sink.hand(batch);
        batch = await sink.take();
      }
      if (n === 0) break; // end of file
      if (Date.now() - yielded >= sink.yieldEveryMs) {
        await sink.sleep(0); // let "stop", queries and returned batches in during a long read
        yielded = Date.now();
      }
    }
  } finally {
    if (batch && batch.count > 0) sink.hand(batch);
  }
}

/** Replays a file at `speed` times its own pace, one packet at a time. */
export async function readPaced(
  handle: PacketReader,
  speed: number,
  rebase: boolean,
  sink: CaptureSink,
): Promise<void> {
  const next = new PacketBatch(1);
  const pacer = new ReplayPacer(speed);
  const payloads = new Uint8Array(PACED_PAYLOAD_BYTES);
  let used = 0;
  let batch = await sink.take();
  let lastFlush = Date.now();
  const handOver = async () => {
    sink.hand(batch!);
    lastFlush = Date.now();
    used = 0;
    batch = await sink.take();
  };
  try {
    while (batch && !sink.stopping) {
      next.count = 0;
      if (handle.read(next, 1) === 0) break; // end of file
      const skipped = pacer.skipped;
      const due = pacer.due(next.timestamp(0), Date.now());
      if (skipped === 0 && pacer.firstSkip) sink.note(skipNotice(pacer.firstSkip));
      if (rebase) setTimestamp(next, 0, due);
      if (due > Date.now()) {
        // Hand over what is already due, then wait for this packet's moment.
        if (batch.count > 0) {
          await handOver();
          if (!batch) break;
        }
        // Sleeps are bounded (sleepStep()); a returned batch ends one early.
        while (!sink.stopping && due > Date.now()) await sink.sleep(sleepStep(due, Date.now()));
        if (sink.stopping) break;
      }
      const length = next.rawStart === 0 ? next.payloadLength[0] : 0;
      if (used + length > payloads.length) {
        await handOver();
        if (!batch) break;
      }
      const j = batch.count++;
      copySlot(next, 0, batch, j);
      if (length > 0) {
        const from = next.payloadOffset[0];
        payloads.set(next.raw.subarray(from, from + length), used);
        batch.payloadOffset[j] = used;
        used += length;
      }
      batch.raw = payloads;
      batch.rawStart = 0;
      if (batch.count === batch.capacity || Date.now() - lastFlush >= FLUSH_AFTER_MS) {
        await handOver();
      }
    }
  } finally {
    if (batch && batch.count > 0) sink.hand(batch);
  }
}

function setTimestamp(batch: PacketBatch, i: number, ms: number): void {
  batch.tsSec[i] = Math.floor(ms / 1000);
  batch.tsNsec[i] = Math.round((ms % 1000) * 1e6);
}
