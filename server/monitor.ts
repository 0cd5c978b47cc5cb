// The long-running monitor: one capture feeding one flow engine, with state the server reads.
//
// The server never sees packets: it reads the engine (queries, hosts, series) and the snapshot
// of capture state kept here, like bandwhich's display reading its accumulator once per tick.
// When a live interface fails (it disappeared, or went down), the engine and its history stay
// and the monitor reopens the interface every few seconds until it is back.

import { CaptureError, type CaptureErrorKind } from "../capture/capture_error.ts";
import { CaptureSession } from "../capture/capture_session.ts";
import type { CaptureStats } from "../capture/pcap_handle.ts";
import type { SourceInfo, SourceOptions } from "../capture/source.ts";
import { FlowEngine, type FlowEngineOptions } from "../flows/flow_engine.ts";
import { PacketCounters } from "../flows/packet_counters.ts";

/** Where the capture is in its life. */
export type CaptureState = "starting" | "running" | "ended" | "stopped" | "error";

/** How often timeouts run and kernel drops are folded into the time series. */
const TICK_MS = 1000;
/** How often a failed interface is reopened. */
export const RETRY_MS = 2000;

/** A capture and its flow engine. Create with Monitor.start(); read its fields at any time. */
export class Monitor {
  readonly source: SourceOptions;
  readonly engine: FlowEngine;
  readonly counters = new PacketCounters();
  state: CaptureState = "starting";
  /** Set when state is "error": what the user must fix or what failed. */
  error?: { kind: CaptureErrorKind; message: string };
  info?: SourceInfo;
  /** Times a failed interface was reopened. */
  restarts = 0;
  readonly startedAt = Date.now();
  /** Packets accounted, and when, for the processing rate. */
  #rate = { packets: 0, at: performance.now(), perSecond: 0 };

  #session?: CaptureSession;
  #timer?: ReturnType<typeof setInterval>;
  #retry?: ReturnType<typeof setTimeout>;
  #stopping = false;
  #droppedSoFar = 0;
  /** Kernel counters and overruns of the sessions before the current one. */
  #before = { received: 0, droppedByKernel: 0, droppedByInterface: 0, overruns: 0 };

  private constructor(source: SourceOptions, flows: FlowEngineOptions) {
    this.source = source;
    this.engine = new FlowEngine(flows);
  }

  /**
   * Starts capturing. Resolves once the source is open; rejects with CaptureError when it
   * cannot be (no such interface, no permission, bad filter, unreadable file).
   */
  static async start(source: SourceOptions, flows: FlowEngineOptions = {}): Promise<Monitor> {
    const monitor = new Monitor(source, flows);
    await monitor.#open();
    monitor.#timer = setInterval(() => monitor.#tick(), TICK_MS);
    return monitor;
  }

  /** Kernel counters of a live capture since the monitor started, across reopened handles. */
  get stats(): CaptureStats | undefined {
    const now = this.#session?.stats;
    if (!now && this.source.kind === "file") return undefined;
    const before = this.#before;
    return {
      received: before.received + (now?.received ?? 0),
      droppedByKernel: before.droppedByKernel + (now?.droppedByKernel ?? 0),
      droppedByInterface: before.droppedByInterface + (now?.droppedByInterface ?? 0),
    };
  }

  /** Records lost inside Netwatch's batching (should stay 0). */
  get overruns(): number {
    return this.#before.overruns + (this.#session?.overruns ?? 0);
  }

  /** Packets per second accounted over the last tick. */
  get packetsPerSecond(): number {
    return this.#rate.perSecond;
  }

  /** Seconds since the monitor started. */
  get uptimeSec(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** The time the engine lives in: wall clock, or the replay's clock if it is ahead. */
  get nowSec(): number {
    return Math.max(Date.now() / 1000, this.engine.now);
  }

  /** Stops the capture and the timers. Keeps every figure for reading. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    if (this.state === "running" || this.state === "starting" || this.state === "error") {
      this.state = "stopped";
    }
    await this.#session?.stop().catch(() => {});
  }

  async #open(): Promise<void> {
    const session = await CaptureSession.start(this.source, (batch) => {
      this.counters.add(batch);
      this.engine.add(batch);
    });
    this.#session = session;
    this.info = session.info;
    this.state = "running";
    this.error = undefined;
    session.done.then(
      () => {
        if (this.#session !== session) return;
        if (this.state === "running") this.state = "ended";
        this.#tick();
      },
      (failure: unknown) => {
        if (this.#session !== session || this.#stopping) return;
        this.#fail(failure);
        this.#tick();
        this.#retire(session);
        if (this.source.kind === "interface") this.#scheduleRetry();
      },
    );
  }

  #fail(failure: unknown): void {
    this.state = "error";
    this.error = failure instanceof CaptureError
      ? { kind: failure.kind, message: failure.message }
      : { kind: "failed", message: String(failure) };
  }

  /** Folds a finished session's counters into the running totals. */
  #retire(session: CaptureSession): void {
    const stats = session.stats;
    this.#before.received += stats?.received ?? 0;
    this.#before.droppedByKernel += stats?.droppedByKernel ?? 0;
    this.#before.droppedByInterface += stats?.droppedByInterface ?? 0;
    this.#before.overruns += session.overruns;
    this.#session = undefined;
  }

  #scheduleRetry(): void {
    this.#retry = setTimeout(async () => {
      if (this.#stopping) return;
      try {
        await this.#open();
        this.restarts++;
        if (this.#stopping) await this.#session?.stop().catch(() => {});
      } catch (failure) {
        // Still gone (or down): say why now, and try again.
        this.#fail(failure);
        this.#scheduleRetry();
      }
    }, RETRY_MS);
  }

  #tick(): void {
    const now = this.nowSec;
    const stats = this.stats;
    const dropped = stats ? stats.droppedByKernel + stats.droppedByInterface : 0;
    if (dropped > this.#droppedSoFar) {
      this.engine.addDrops(now, dropped - this.#droppedSoFar);
      this.#droppedSoFar = dropped;
    }
    this.engine.tick(now);
    const at = performance.now();
    const packets = this.counters.packets;
    this.#rate = {
      packets,
      at,
      perSecond: (packets - this.#rate.packets) * 1000 / Math.max(1, at - this.#rate.at),
    };
  }
}
