// What a capture reads from (an interface or a file), and the messages its worker exchanges.

import type { CaptureErrorKind } from "./capture_error.ts";
import type { CaptureStats, LiveOptions } from "./pcap_handle.ts";

/** Capture from a network interface. */
export interface InterfaceSource extends LiveOptions {
  kind: "interface";
}

/** Read a pcap or pcapng file. */
export interface FileSource {
  kind: "file";
  path: string;
  filter?: string;
  /**
   * Replay speed relative to the capture's own timing: 1 is real time, 10 ten times faster.
   * `Infinity` (the default) reads as fast as possible.
   */
  speed?: number;
  /**
   * Shift timestamps so the first packet is "now" and later ones follow at the replay pace,
   * as if the traffic were live. Used when serving a replay.
   */
  rebaseTime?: boolean;
}

export type SourceOptions = InterfaceSource | FileSource;

/** What a started capture reads from, as reported by the worker. */
export interface SourceInfo {
  /** Interface name or file path. */
  name: string;
  kind: SourceOptions["kind"];
  linkType: string;
  dlt: number;
  snaplen: number;
  filter?: string;
}

/** Messages from the main thread to the capture worker. */
export type ToWorker =
  | { type: "start"; source: SourceOptions; batchCapacity: number; poolSize: number }
  | { type: "return"; buffer: ArrayBuffer }
  | { type: "stop" };

/** Messages from the capture worker to the main thread. */
export type FromWorker =
  | { type: "ready"; info: SourceInfo }
  | {
    type: "batch";
    buffer: ArrayBuffer;
    count: number;
    /** Live capture: the kernel counters, read just before the batch was handed over. */
    stats?: CaptureStats;
    overruns?: number;
  }
  | { type: "stats"; stats: CaptureStats | undefined; overruns: number }
  | { type: "error"; kind: CaptureErrorKind; message: string }
  | { type: "end"; stats: CaptureStats | undefined; overruns: number };
