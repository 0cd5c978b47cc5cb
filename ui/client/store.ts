// The dashboard's shared client state: signals every island reads, written by dashboard.ts and
// feeds.ts.
//
// Islands hydrate separately but share these module-level signals (one bundle), which is how a
// click in the mix filters the flow table. Nothing here touches the DOM, so the server can
// render islands with the initial values.

import { signal } from "@preact/signals";
import type {
  FlowsResponse,
  ProtocolsResponse,
  StatsResponse,
  TalkersResponse,
  Tier,
} from "../../server/wire.ts";
import type { AppShare } from "./flow_aggregate.ts";
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
  /** Epoch ms the stream was last live (it opened, or dropped after being up), or null. */
  lastLive: number | null;
}

/** What the chart shows: the answer's tier and step, and the span asked for. */
export interface ChartMeta {
  live: boolean;
  tier: Tier | null;
  step: number;
  from: number;
  to: number;
  /** Why the chart has no data (an API error), or null. */
  error: string | null;
  /**
   * A live range that starts at the server's start (a restart within it): memory holds
   * seconds only from then, and what came before is on disk, in the longer ranges.
   */
  since?: number;
}

/** The current rate: the mean of the last finished seconds, the headline's figure. */
export interface NowRate {
  bps: number;
  pps: number;
  /** The last second included (epoch seconds) and how many seconds were averaged. */
  to: number;
  seconds: number;
}

/** Filters, sort, page, range and talkers window (mirrored in the URL). */
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
/**
 * True while the API answers this page (false again after a 401): where a token is required,
 * the page then has a session, and the header offers to end it.
 */
export const apiAnswers = signal(false);
/** Latest /stats (from the stream). */
export const stats = signal<StatsResponse | null>(null);
/** Throughput points the chart draws; `throughputVersion` changes whenever they do. */
export const throughput = new ThroughputBuffer();
export const throughputVersion = signal(0);
/** Tier and step of the chart's data. */
export const chartMeta = signal<ChartMeta>({
  live: true,
  tier: null,
  step: 1,
  from: 0,
  to: 0,
  error: null,
});
/** The headline's current rate (last 3 finished seconds), or null before the first. */
export const nowRate = signal<NowRate | null>(null);
/**
 * The server's last finished second as the page last heard it: ticks once a second while the
 * stream is live, so figures "as of now" (a flow's current rate) can age between updates.
 */
export const serverSecond = signal(0);

/** Top talkers: from /talkers, or summed from the flows of the mix filter (`fromFlows`). */
export const talkers = signal<
  { data: TalkersResponse | null; fromFlows: number; error: string | null }
>({ data: null, fromFlows: 0, error: null });
/** Latest protocol and service breakdown for the window or range. */
export const protocols = signal<ProtocolsResponse | null>(null);
/**
 * Apps of the window or range: the API's, or summed from its biggest flows (`fromFlows`:
 * how many, and `allFlows`: whether they were all there were) when the API has none for it;
 * `by` says whether shares are bytes or current rate.
 */
export const appMix = signal<
  { apps: AppShare[]; fromFlows: number; by: "bytes" | "rate"; allFlows: boolean } | null
>(null);
/**
 * The flow table's current page, or the error the API gave for the view's filters (and the
 * parameter it named, for the form to mark that field).
 */
export const flowPage = signal<
  { data: FlowsResponse | null; error: string | null; parameter?: string | null }
>({ data: null, error: null });
/** Whether the flow table follows the stream (false: frozen while reading). */
export const flowsLive = signal(true);

/** Milliseconds the server's clock is ahead of the browser's (from stream timestamps). */
let clockOffsetMs = 0;

/** Notes the server's time `serverMs` of a message just received. */
export function noteServerTime(serverMs: number): void {
  clockOffsetMs = serverMs - Date.now();
}

/** The server's clock now, epoch seconds. */
export function serverNow(): number {
  return (Date.now() + clockOffsetMs) / 1000;
}
