// What the server reads from a monitor: the real Monitor, or a synthetic one in tests and benches.

import type { CaptureErrorKind } from "../capture/capture_error.ts";
import type { InterfaceInfo } from "../capture/interfaces.ts";
import type { CaptureStats } from "../capture/pcap_handle.ts";
import type { SourceInfo, SourceOptions } from "../capture/source.ts";
import type { FlowEngine } from "../flows/flow_engine.ts";
import type { PacketCounters } from "../flows/packet_counters.ts";
import type { CaptureStateName } from "./wire.ts";

/** The read-only face of server/monitor.ts's Monitor that routes and streams use. */
export interface MonitorLike {
  readonly source: SourceOptions;
  readonly engine: FlowEngine;
  readonly counters: PacketCounters;
  readonly state: CaptureStateName;
  readonly error?: { kind: CaptureErrorKind; message: string };
  readonly info?: SourceInfo;
  readonly stats?: CaptureStats;
  readonly overruns: number;
  readonly packetsPerSecond: number;
  readonly uptimeSec: number;
  /** The engine's clock: epoch seconds. */
  readonly nowSec: number;
}

/** Lists capture interfaces (capture/interfaces.ts listInterfaces, or a fake). */
export type InterfaceLister = () => InterfaceInfo[];
