// Messages between the main thread and a pipeline worker (capture, decode and flow engine),
// and the status a worker reports.

import type { CaptureErrorKind } from "../capture/capture_error.ts";
import type { ExportArgs } from "../export/export_url.ts";
import type { ExportStatus } from "../export/types.ts";
import type { CaptureStats } from "../capture/pcap_handle.ts";
import type { SourceInfo, SourceOptions } from "../capture/source.ts";
import type {
  EngineFigures,
  ProtocolsAnswer,
  TalkerMeasure,
  WindowName,
} from "../flows/engine_views.ts";
import type { FlowConfig } from "../flows/flow_config.ts";
import type { FlowRecord } from "../flows/flow_record.ts";
import type { HostDetail } from "../flows/host_detail.ts";
import type { HostStats } from "../flows/host_views.ts";
import type { FlowPage, FlowQuery } from "../flows/query.ts";
import type { SeriesAnswer, SeriesParams } from "../flows/series_view.ts";

/** Where a capture is in its life ("ended": a replayed file reached its end). */
export type CaptureState = "starting" | "running" | "ended" | "stopped" | "error";

/** What a shard is asked. Every answer is computed in the worker, from its engine. */
export type ShardRequest =
  | { op: "flows"; query: FlowQuery }
  | { op: "flow"; id: number }
  | { op: "talkers"; window: WindowName; by: TalkerMeasure; limit: number }
  /** The best `cap` hosts, without names: a shard's candidates for the talkers merge. */
  | { op: "talkerCandidates"; window: WindowName; by: TalkerMeasure; cap: number }
  /** Stats of these hosts; names and places unless `describe` is false. */
  | { op: "hosts"; window: WindowName; addresses: string[]; describe?: boolean }
  | { op: "protocols"; window: WindowName }
  | { op: "series"; params: SeriesParams }
  | { op: "figures" }
  | { op: "host"; address: string };

/** The answer of each request, by op. */
export interface ShardAnswers {
  flows: FlowPage;
  flow: FlowRecord | null;
  talkers: HostStats[];
  talkerCandidates: HostStats[];
  hosts: HostStats[];
  protocols: ProtocolsAnswer;
  series: SeriesAnswer;
  figures: EngineFigures;
  host: HostDetail | null;
}

/** A failed request: a bad parameter (a 400) or anything else (a 500). */
export interface ShardError {
  kind: "parameter" | "failed";
  message: string;
  parameter?: string;
  value?: unknown;
  expected?: string;
}

/** Capture counters: one shard's, or summed over the shards (the latest each reported). */
export interface CaptureFigures {
  packets: number;
  bytes: number;
  malformed: number;
  truncated: number;
  /** Kernel counters since the shard started, across reopened handles (live only). */
  stats?: CaptureStats;
  overruns: number;
  /** Packets per second accounted over the last second. */
  packetsPerSecond: number;
}

/** Counters with nothing counted yet (and no kernel counters). */
export function noFigures(): CaptureFigures {
  return { packets: 0, bytes: 0, malformed: 0, truncated: 0, overruns: 0, packetsPerSecond: 0 };
}

/** Capture counters of one shard, sent every STATUS_MS and with every change of state. */
export interface ShardStatus extends CaptureFigures {
  state: CaptureState;
  error?: { kind: CaptureErrorKind; message: string };
  info?: SourceInfo;
  /** Times a failed live interface was reopened. */
  restarts: number;
  /** The engine's clock: latest packet time (epoch seconds). */
  engineNow: number;
  /** This shard's export destinations (--export), when any. */
  export?: ExportStatus[];
  /** History writes this shard's bounded queues dropped (when history is on). */
  historyDropped?: number;
  /** Set once a stop has been carried out to the end (capture closed, export drained). */
  finished?: boolean;
}

/** A shard's status before its first report: the worker's, and the monitor's idea of it. */
export function startingStatus(): ShardStatus {
  return { state: "starting", restarts: 0, engineNow: 0, ...noFigures() };
}

/** Main thread -> worker. */
export type ToShard =
  | {
    type: "start";
    source: SourceOptions;
    flows: Partial<FlowConfig>;
    /** This shard's number and how many there are (record ids step by `shards`). */
    shard: number;
    shards: number;
    /** PACKET_FANOUT group to join (live capture with several shards). */
    fanoutGroup?: number;
    /** Where ended flows go (--export): each shard exports its own flows. */
    export?: ExportArgs;
    /** A port to the history store's worker (transferred), when history is on. */
    history?: MessagePort;
    /** Record ids start after this (the largest id history holds). */
    idBase?: number;
    /** MMDB databases (--geoip) for countries and AS numbers. */
    geoip?: string[];
  }
  | { type: "query"; id: number; request: ShardRequest }
  | { type: "stop" }
  | { type: "close" };

/** Worker -> main thread. */
export type FromShard =
  | { type: "status"; status: ShardStatus }
  | { type: "answer"; id: number; value: unknown }
  | { type: "failed"; id: number; error: ShardError }
  /** The source could not be opened at start: the monitor's start() rejects with it. */
  | { type: "start-failed"; kind: CaptureErrorKind; message: string };
