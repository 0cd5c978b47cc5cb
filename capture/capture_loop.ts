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

/** A paced file replay hands a partly filled batch over after this long. */
const FLUSH_AFTER_MS = 50;
/**
 * Bytes of payload a paced batch keeps: each packet is read on its own (the reader's memory then
 * holds only it), so its payload is copied here for the engine's name and app inspection.
 * Larger than any payload (snapshot lengths stop at 256 KiB).
 */
const PACED_PAYLOAD_BYTES = 1 << 20;
/**
 * Longest wait in poll(2) for the kernel's next block: how late a query or stop may be heard
 * while the interface is idle (the kernel hands a block over at most 50 ms after its first
 * packet, so traffic never waits for this).
 */
const WAIT_MS = 20;
/** A drained ring's reads yield on a timer this often (else to messages only). */
const TIMER_TURN_MS = 10;
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
 * Reads an interface as tcpdump does, driven by the kernel: wait in poll(2) until it hands over
 * a block of packets, then take every packet ready, up to a batch; an idle interface costs a
 * wake-up every WAIT_MS (which also lets messages in: queries, stop).
 *
 * Why not the alternatives, measured on Linux 6.18 with 1,514-byte frames at 1 Gbps on average,
 * sent by trafgen as one burst a second (12 Gbps for 80 ms; the 64 MiB ring holds about half a
 * second of 1 Gbps), where tcpdump dropped nothing:
 * - reads on a 100 ms clock without waiting: the burst overran the ring between two reads, and
 *   45% was dropped (not re-measured with evenly paced traffic);
 * - libpcap's blocking read as a nonblocking FFI call (off this thread): in the engine worker
 *   its promise settled up to 0.9 s after libpcap returned (it returned one block, where 0.9 s
 *   would have filled hundreds), and up to 1.6% was dropped.
 * poll(2) on this thread is one short system call, and what follows it runs at once.
 */
export async function readLive(handle: PcapHandle, sink: CaptureSink): Promise<void> {
  let batch = await sink.take();
  let lastStats = 0;
  let yielded = Date.now();
  let timerTurn = 0;
  handle.setNonBlocking(true);
  try {
    while (batch && !sink.stopping) {
      const requested = Math.min(handle.perDispatch, batch.capacity - batch.count);
      const n = handle.read(batch, requested);
      const now = Date.now();
      const full = batch.count === batch.capacity;
      // Hand over a full batch, or what there is once the ring is drained (or at every read
      // when the sink must: the raw bytes are valid only until the next read).
      if (full || (batch.count > 0 && (n < requested || sink.handEachRead))) {
        sink.hand(batch, handle);
        lastStats = now;
        batch = await sink.take();
        if (!batch) break;
      } else if (now - lastStats >= STATS_EVERY_MS) {
        sink.stats(handle);
        lastStats = now;
      }
      if (n === requested) {
        // More is waiting in the ring. Under a flood it always is, so let messages (queries,
        // stop) in as a long file read does, or the API waits until the ring drains.
        if (now - yielded >= sink.yieldEveryMs) {
          await sink.sleep(0);
          yielded = Date.now();
        }
        continue;
      }
      // The ring is drained: wait here for the kernel's next block (poll(2), at most WAIT_MS),
      // then let messages in; now and then on a timer, so that the worker's timers run too.
      handle.waitReadable(WAIT_MS);
      const turn = Date.now();
      const onTimer = turn - timerTurn >= TIMER_TURN_MS;
      if (onTimer) timerTurn = turn;
      await sink.sleep(onTimer ? 1 : 0);
      yielded = Date.now();
    }
  } finally {
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
