// The long-running monitor: one capture feeding one flow engine, with state the server reads.
//
// The server never sees packets: it reads the engine (queries, hosts, series) and the snapshot
// of capture state kept here, like bandwhich's display reading its accumulator once per tick.

import { CaptureError, type CaptureErrorKind } from "../capture/capture_error.ts";
import { CaptureSession } from "../capture/capture_session.ts";
import type { CaptureStats } from "../capture/pcap_handle.ts";
import type { SourceInfo, SourceOptions } from "../capture/source.ts";
import type { FlowConfig } from "../flows/flow_config.ts";
import { FlowEngine } from "../flows/flow_engine.ts";
import { PacketCounters } from "../flows/packet_counters.ts";

/** Where the capture is in its life. */
export type CaptureState = "starting" | "running" | "ended" | "stopped" | "error";

/** How often timeouts run and kernel drops are folded into the time series. */
const TICK_MS = 1000;

/** A capture and its flow engine. Create with Monitor.start(); read its fields at any time. */
export class Monitor {
  readonly source: SourceOptions;
  readonly engine: FlowEngine;
  readonly counters = new PacketCounters();
  state: CaptureState = "starting";
  /** Set when state is "error": what the user must fix or what failed. */
  error?: { kind: CaptureErrorKind; message: string };
  info?: SourceInfo;
  readonly startedAt = Date.now();
  /** Packets accounted, and when, for the processing rate. */
  #rate = { packets: 0, at: performance.now(), perSecond: 0 };

  #session?: CaptureSession;
  #timer?: ReturnType<typeof setInterval>;
  #droppedSoFar = 0;

  private constructor(source: SourceOptions, flows: Partial<FlowConfig>) {
    this.source = source;
    this.engine = new FlowEngine(flows);
  }

  /**
   * Starts capturing. Resolves once the source is open; rejects with CaptureError when it
   * cannot be (no such interface, no permission, bad filter, unreadable file).
   */
  static async start(source: SourceOptions, flows: Partial<FlowConfig> = {}): Promise<Monitor> {
    const monitor = new Monitor(source, flows);
    const session = await CaptureSession.start(source, (batch) => {
      monitor.counters.add(batch);
      monitor.engine.add(batch);
    });
    monitor.#session = session;
    monitor.info = session.info;
    monitor.state = "running";
    monitor.#timer = setInterval(() => monitor.#tick(), TICK_MS);
    session.done.then(
      () => {
        if (monitor.state === "running") monitor.state = "ended";
        monitor.#tick();
      },
      (error: unknown) => {
        monitor.state = "error";
        monitor.error = error instanceof CaptureError
          ? { kind: error.kind, message: error.message }
          : { kind: "failed", message: String(error) };
        monitor.#tick();
      },
    );
    return monitor;
  }

  /** Kernel counters of a live capture, refreshed by the capture thread four times a second. */
  get stats(): CaptureStats | undefined {
    return this.#session?.stats;
  }

  /** Records lost inside Netwatch's batching (should stay 0). */
  get overruns(): number {
    return this.#session?.overruns ?? 0;
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

  /** Stops the capture and the timer. Keeps every figure for reading. Safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#session && (this.state === "running" || this.state === "starting")) {
      this.state = "stopped";
      await this.#session.stop().catch(() => {});
    }
  }

  #tick(): void {
    const now = this.nowSec;
    const dropped = this.stats ? this.stats.droppedByKernel + this.stats.droppedByInterface : 0;
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
