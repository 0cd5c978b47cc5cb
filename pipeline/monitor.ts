// The long-running monitor: one or more pipeline workers (capture + engine), seen as one.
//
// The server never sees packets or the engine's tables: it asks questions (ask()) that the
// workers answer from their engines, merged here when there are several, and it reads the
// capture counters each worker sends every 100 ms. Live capture with `workers` > 1 splits the
// interface with PACKET_FANOUT: each worker owns the flows the kernel's hash gives it.

import { CaptureError } from "../capture/capture_error.ts";
import type { SourceOptions } from "../capture/source.ts";
import type { ExportArgs } from "../export/export_url.ts";
import type { ExportStatus } from "../export/types.ts";
import { DEFAULT_FLOW_CONFIG, type FlowConfig } from "../flows/flow_config.ts";
import type { FlowPage } from "../flows/query.ts";
import {
  mergeFigures,
  mergeFlowPages,
  mergeHostDetails,
  mergeProtocols,
  mergeSeries,
  mergeTalkers,
  rankHosts,
  sumHosts,
} from "./merge.ts";
import {
  type CaptureFigures,
  type CaptureState,
  type FromShard,
  noFigures,
  type ShardAnswers,
  type ShardError,
  type ShardRequest,
  type ShardStatus,
  startingStatus,
  type ToShard,
} from "./protocol.ts";

/** A query a worker did not answer in time, or answered with an error. */
export class QueryError extends Error {
  readonly detail: ShardError;
  constructor(detail: ShardError) {
    super(detail.message);
    this.name = "QueryError";
    this.detail = detail;
  }
}

/** How long a query may wait for a worker (it answers between reads: normally within ms). */
const QUERY_TIMEOUT_MS = 10_000;

/** The face of a monitor the server uses; tests use an in-process one with the same face. */
export interface MonitorLike {
  readonly source: SourceOptions;
  readonly state: CaptureState;
  readonly error?: { kind: string; message: string };
  readonly info?: ShardStatus["info"];
  readonly restarts: number;
  readonly uptimeSec: number;
  /** The monitor's clock: wall time, or a replay's clock if it runs ahead (epoch seconds). */
  readonly nowSec: number;
  /** The latest capture counters (at most about 100 ms old). */
  readonly capture: CaptureFigures;
  /** Answers `request` from every shard, merged. Rejects with QueryError. */
  ask<R extends ShardRequest>(request: R): Promise<ShardAnswers[R["op"]]>;
}

/** A worker and what the monitor knows of it. */
interface Worker_ {
  worker: Worker;
  status: ShardStatus;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

/** Options of Monitor.start(). */
export interface MonitorOptions {
  /** Pipeline workers (live capture only; files use one). Default 1. */
  workers?: number;
  /** Where ended flows go (--export). */
  export?: ExportArgs;
  /** MMDB databases for places (--geoip); checked by the caller. */
  geoip?: string[];
  /** History: a port to its store per worker (made by the caller), and the id to start after. */
  history?: { port: () => MessagePort; idBase: number };
}

/** Capture and engines in workers. Create with Monitor.start(); stop(), then close(). */
export class Monitor implements MonitorLike {
  readonly source: SourceOptions;
  readonly startedAt = Date.now();
  readonly #workers: Worker_[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(source: SourceOptions) {
    this.source = source;
  }

  /**
   * Starts capturing. Resolves once every worker's source is open; rejects with CaptureError
   * when one cannot be (no such interface, no permission, bad filter, unreadable file).
   */
  static async start(
    source: SourceOptions,
    flows: Partial<FlowConfig> = {},
    options: MonitorOptions = {},
  ): Promise<Monitor> {
    const count = source.kind === "interface" ? Math.max(1, options.workers ?? 1) : 1;
    const shardFlows = shareOf(flows, count);
    const monitor = new Monitor(source);
    const group = count > 1 ? 1 + Math.floor(Math.random() * 65534) : undefined;
    const starts: Promise<void>[] = [];
    for (let shard = 0; shard < count; shard++) {
      starts.push(monitor.#spawn({
        type: "start",
        source,
        flows: shardFlows,
        shard,
        shards: count,
        fanoutGroup: group,
        export: options.export,
        history: options.history?.port(),
        geoip: options.geoip,
        idBase: options.history?.idBase,
      }));
    }
    try {
      await Promise.all(starts);
    } catch (error) {
      monitor.close();
      throw error;
    }
    return monitor;
  }

  #spawn(start: Extract<ToShard, { type: "start" }>): Promise<void> {
    const worker = new Worker(new URL("./engine_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const w: Worker_ = { worker, status: startingStatus(), pending: new Map() };
    this.#workers.push(w);
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromShard>) => {
        const m = event.data;
        switch (m.type) {
          case "status":
            w.status = m.status;
            if (m.status.state !== "starting") resolve();
            break;
          case "answer":
            w.pending.get(m.id)?.resolve(m.value);
            w.pending.delete(m.id);
            break;
          case "failed":
            w.pending.get(m.id)?.reject(new QueryError(m.error));
            w.pending.delete(m.id);
            break;
          case "start-failed":
            reject(new CaptureError(m.kind, m.message));
            break;
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const message = `Capture worker failed: ${event.message}`;
        w.status = { ...w.status, state: "error", error: { kind: "failed", message } };
        for (const p of w.pending.values()) p.reject(new QueryError({ kind: "failed", message }));
        w.pending.clear();
        reject(new CaptureError("failed", message));
      };
      worker.postMessage(start, start.history ? [start.history] : []);
    });
  }

  /** Where the capture is: an error on any worker wins, then running, then how they ended. */
  get state(): CaptureState {
    const states = this.#workers.map((w) => w.status.state);
    for (const s of ["error", "starting", "running", "stopped"] as const) {
      if (states.includes(s)) return s;
    }
    return "ended";
  }

  get error(): MonitorLike["error"] {
    return this.#workers.find((w) => w.status.error)?.status.error;
  }

  get info(): MonitorLike["info"] {
    return this.#workers[0]?.status.info;
  }

  get restarts(): number {
    return this.#workers.reduce((n, w) => n + w.status.restarts, 0);
  }

  get uptimeSec(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  get nowSec(): number {
    return Math.max(Date.now() / 1000, ...this.#workers.map((w) => w.status.engineNow));
  }

  /** Workers running. */
  get workers(): number {
    return this.#workers.length;
  }

  get capture(): CaptureFigures {
    const out = noFigures();
    for (const { status: s } of this.#workers) {
      out.packets += s.packets;
      out.bytes += s.bytes;
      out.malformed += s.malformed;
      out.truncated += s.truncated;
      out.overruns += s.overruns;
      out.packetsPerSecond += s.packetsPerSecond;
      if (s.stats) {
        out.stats ??= { received: 0, droppedByKernel: 0, droppedByInterface: 0 };
        out.stats.received += s.stats.received;
        out.stats.droppedByKernel += s.stats.droppedByKernel;
        out.stats.droppedByInterface += s.stats.droppedByInterface;
      }
    }
    return out;
  }

  /** History writes dropped by the shards' queues (each engine writes its own). */
  get historyDropped(): number {
    let dropped = 0;
    for (const w of this.#workers) dropped += w.status.historyDropped ?? 0;
    return dropped;
  }

  /** Export destinations summed over shards (each exports its own flows). */
  get exportStatus(): ExportStatus[] {
    const merged = new Map<string, ExportStatus>();
    for (const w of this.#workers) {
      for (const d of w.status.export ?? []) {
        const seen = merged.get(d.destination);
        if (!seen) {
          merged.set(d.destination, { ...d });
          continue;
        }
        seen.queued += d.queued;
        seen.capacity += d.capacity;
        seen.sent += d.sent;
        seen.dropped += d.dropped;
        seen.failures += d.failures;
        if (d.state !== "ok") seen.state = d.state;
        seen.last_error ??= d.last_error;
      }
    }
    return [...merged.values()];
  }

  /** Asks one worker. */
  #askOne<T>(w: Worker_, request: ShardRequest): Promise<T> {
    if (this.#closed) return Promise.reject(new QueryError({ kind: "failed", message: "closed" }));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        w.pending.delete(id);
        reject(new QueryError({ kind: "failed", message: "The capture worker did not answer" }));
      }, QUERY_TIMEOUT_MS);
      w.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const message: ToShard = { type: "query", id, request };
      w.worker.postMessage(message);
    });
  }

  #askAll<T>(request: ShardRequest): Promise<T[]> {
    return Promise.all(this.#workers.map((w) => this.#askOne<T>(w, request)));
  }

  ask<R extends ShardRequest>(request: R): Promise<ShardAnswers[R["op"]]> {
    return this.#ask(request as ShardRequest) as Promise<ShardAnswers[R["op"]]>;
  }

  async #ask(r: ShardRequest): Promise<unknown> {
    if (this.#workers.length === 1) return this.#askOne(this.#workers[0], r);
    switch (r.op) {
      case "flows": {
        const offset = r.query.offset ?? 0;
        const limit = r.query.limit ?? 100;
        const pages = await this.#askAll<FlowPage>({
          op: "flows",
          query: { ...r.query, offset: 0, limit: offset + limit + 1, withValues: true },
        });
        return mergeFlowPages(pages, r.query);
      }
      case "flow":
        return (await this.#askAll(r)).find((x) => x !== null) ?? null;
      case "talkers":
        return mergeTalkers(
          {
            count: this.#workers.length,
            top: (limit) => this.#askAll({ op: "talkers", window: r.window, by: r.by, limit }),
            candidates: (cap) =>
              this.#askAll({ op: "talkerCandidates", window: r.window, by: r.by, cap }),
            exact: (addresses, describe) =>
              this.#askAll({ op: "hosts", window: r.window, addresses, describe }),
          },
          r.window,
          r.by,
          r.limit,
        );
      case "talkerCandidates":
      case "hosts": {
        const lists = await this.#askAll<ShardAnswers["hosts"]>(r);
        const by = r.op === "talkerCandidates" ? r.by : "bytes";
        return rankHosts(sumHosts(lists).values(), by, r.window === "now");
      }
      case "protocols":
        return mergeProtocols(await this.#askAll(r));
      case "series": {
        // One explicit range for every shard, so that their points line up.
        const to = r.params.to ?? this.nowSec;
        const params = { ...r.params, to, from: r.params.from ?? to - 300 };
        return mergeSeries(await this.#askAll({ op: "series", params }));
      }
      case "figures":
        return mergeFigures(await this.#askAll(r));
      case "host":
        return mergeHostDetails(await this.#askAll(r));
    }
  }

  /** Stops capturing; keeps every figure for reading. Safe to call twice. */
  async stop(): Promise<void> {
    for (const w of this.#workers) w.worker.postMessage({ type: "stop" } satisfies ToShard);
    // A worker that exports drains its queues for up to 10 s after its capture stopped.
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      this.#workers.some((w) => !w.status.finished && w.status.state !== "error")
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the workers (after stop()). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) {
      for (const p of w.pending.values()) {
        p.reject(new QueryError({ kind: "failed", message: "closed" }));
      }
      w.worker.terminate();
    }
  }
}

/**
 * One worker's share of the table sizes: --max-flows, --max-history and --max-hosts (and the
 * one-packet ring) are totals, so that memory follows them whatever the worker count. The
 * fanout hash spreads flows evenly; a host seen by several workers has an entry in each.
 */
export function shareOf(flows: Partial<FlowConfig>, workers: number): Partial<FlowConfig> {
  if (workers <= 1) return flows;
  const config = { ...DEFAULT_FLOW_CONFIG, ...flows };
  const share = (n: number) => n === 0 ? 0 : Math.max(1, Math.ceil(n / workers));
  return {
    ...flows,
    maxActiveFlows: share(config.maxActiveFlows),
    maxHistoryRecords: share(config.maxHistoryRecords),
    maxHosts: share(config.maxHosts),
    maxEmbryos: share(config.maxEmbryos),
  };
}
