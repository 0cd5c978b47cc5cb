// The dashboard's shared client state: signals every island reads, written by dashboard.ts.
//
// Islands hydrate separately but share these module-level signals (one bundle), which is how a
// click in the talkers table filters the flow table. Nothing here touches the DOM, so the
// server can render islands with the initial values.

import { signal } from "@preact/signals";
import type {
  FlowsResponse,
  ProtocolsResponse,
  StatsResponse,
  TalkersResponse,
} from "../../server/wire.ts";
import { ThroughputBuffer } from "./throughput_buffer.ts";
import { DEFAULT_VIEW, type ViewState } from "./view_state.ts";

/** Where the live stream is. */
export type StreamStatus = "connecting" | "live" | "retrying" | "auth";

/** The stream's state as the header shows it. */
export interface ConnectionInfo {
  status: StreamStatus;
  /** Epoch ms of the next reconnect attempt while retrying. */
  retryAt: number | null;
  /** Failed attempts since the stream was last live. */
  attempts: number;
  /** Epoch ms the stream was last live, or null if never. */
  lastLive: number | null;
}

/** Filters, sort, page, chart range and talkers window (mirrored in the URL). */
export const view = signal<ViewState>({ ...DEFAULT_VIEW });
/** Live stream state. */
export const connection = signal<ConnectionInfo>({
  status: "connecting",
  retryAt: null,
  attempts: 0,
  lastLive: null,
});
/** True once the API answered 401: the token prompt shows until a login succeeds. */
export const authRequired = signal(false);
/** Latest /stats (from the stream). */
export const stats = signal<StatsResponse | null>(null);
/** Throughput points the chart draws; `throughputVersion` changes whenever they do. */
export const throughput = new ThroughputBuffer();
export const throughputVersion = signal(0);
/** Latest top talkers for the view's window. */
export const talkers = signal<TalkersResponse | null>(null);
/** Latest protocol and service breakdown for the view's window. */
export const protocols = signal<ProtocolsResponse | null>(null);
/** The flow table's current page, or the error the API gave for the view's filters. */
export const flowPage = signal<{ data: FlowsResponse | null; error: string | null }>({
  data: null,
  error: null,
});
/** Whether the flow table follows the stream (false: frozen while reading). */
export const flowsLive = signal(true);
