// The dashboard's REST reads: the chart's series for the range, the live tail of finished
// seconds (the headline), talkers, the mix and flows for a range, and the figures summed from
// flows where the API has no answer (apps of a window, talkers of one app).

import { batch } from "@preact/signals";
import type {
  FlowsResponse,
  HealthResponse,
  ProtocolsResponse,
  SeriesResponse,
  TalkersResponse,
} from "../../server/wire.ts";
import { apiGet, ApiRequestError } from "./api.ts";
import { appsOf, hostsOf } from "./flow_aggregate.ts";
import { rangeBounds } from "./range_bounds.ts";
import {
  appMix,
  chartMeta,
  flowPage,
  nowRate,
  protocols,
  serverNow,
  serverSecond,
  stats,
  talkers,
  throughput,
  throughputVersion,
  view,
} from "./store.ts";
import { flowQuery, mixQuery, RANGE_SECONDS, type ViewState } from "./view_state.ts";

/** Performance mark set when the first stream-driven point reaches the chart. */
export const FIRST_LIVE_POINT_MARK = "netwatch:first-live-point";
/** Hosts asked of /talkers: more than shown, so a column sort reorders a wide enough set. */
export const TALKERS_ASKED = 30;
/** Flows summed when the API has no per-app or per-app-host figures. */
export const FLOWS_SUMMED = 500;
/** Finished seconds the headline averages (the API's "now": rate_now, talkers' Now). */
const NOW_SECONDS = 3;
/** The last finished seconds kept for the headline, oldest first: [t, bps, pps]. */
const recent: [number, number, number][] = [];

let chartGeneration = 0;
/**
 * The last chart load that answered. The live tail draws only when no load is in flight: the
 * load's answer replaces the chart, and would wipe what the tail drew meanwhile (in the
 * server's first seconds it can be empty, and the chart then stayed empty until the next
 * second finished). The seconds the tail saw meanwhile are drawn after the answer instead.
 */
let chartSettled = 0;
let tailBusy = false;
let flowRequest: AbortController | null = null;
let flowGeneration = 0;

/** An API error answer, or a request that failed on the way (fetch's TypeError, an abort). */
function isFetchFailure(error: unknown): boolean {
  return error instanceof ApiRequestError || error instanceof TypeError ||
    (error instanceof DOMException && error.name === "AbortError");
}

/** A message for an API failure; null for a 401 (the token prompt says what is needed). */
function messageOf(error: unknown): string | null {
  if (error instanceof ApiRequestError) return error.status === 401 ? null : error.message;
  return "The server cannot be reached";
}

/** The /talkers `by` that ranks like the view's talkers sort. */
export function talkersBy(v: ViewState): TalkersResponse["by"] {
  return v.tsort === "sent" || v.tsort === "received" || v.tsort === "packets" ? v.tsort : "bytes";
}

/** Loads the chart for the view's range (the live tail then appends to a live one). */
export async function loadChart(): Promise<void> {
  const generation = ++chartGeneration;
  const v = view.peek();
  const b = rangeBounds(v, serverNow());
  let since: number | undefined;
  if (b.live) {
    // A live range is memory's 1 s points: from the server's start at the earliest (before
    // it, the API would answer from history at 1 min, and a view keeps one resolution).
    const uptime = stats.peek()?.uptime_sec ??
      (await apiGet<HealthResponse>("health").catch(() => null))?.uptime_sec;
    if (uptime !== undefined) {
      const started = Math.ceil(serverNow() - uptime) + 1;
      if (started > b.from) since = started;
      b.from = Math.max(b.from, started);
    }
  }
  // A live range ends at the server's last finished second: leave `to` to the server.
  const params: Record<string, string> = { from: String(b.from), step: String(b.step) };
  if (!b.live) params.to = String(b.to);
  try {
    const [bps, pps] = await Promise.all([
      apiGet<SeriesResponse>("series", { ...params, metric: "bps" }),
      apiGet<SeriesResponse>("series", { ...params, metric: "pps" }),
    ]);
    if (generation !== chartGeneration) return;
    chartSettled = generation;
    batch(() => {
      throughput.replace(bps.t, bps.series[0]?.values ?? [], pps.series[0]?.values ?? []);
      if (b.live && bps.step === 1) {
        const answered = bps.t.at(-1) ?? bps.from - 1;
        pushRecentAfter(answered);
      }
      chartMeta.value = {
        live: b.live,
        tier: bps.tier,
        step: bps.step,
        from: bps.from,
        to: bps.to + bps.step - 1,
        error: null,
        since,
      };
      throughputVersion.value++;
    });
    if (b.live && bps.step === 1) {
      rememberRecent(bps.t, bps.series[0]?.values, pps.series[0]?.values);
    }
  } catch (error) {
    if (generation !== chartGeneration) return;
    chartSettled = generation;
    if (b.live && error instanceof ApiRequestError && error.status === 400) {
      // The server's first seconds: no second had finished since it started when it
      // answered. Start at 1 s with the seconds the tail saw since (it does not draw while a
      // load is out); the live tail goes on from there.
      batch(() => {
        throughput.replace([], [], []);
        const to = pushRecentAfter(b.from - 1) ?? b.from;
        chartMeta.value = {
          live: true,
          tier: "memory",
          step: 1,
          from: b.from,
          to,
          error: null,
        };
        throughputVersion.value++;
      });
      return;
    }
    chartMeta.value = { ...chartMeta.peek(), live: b.live, error: messageOf(error) };
  }
}

/** Draws finished second `t` on the live chart; false when the chart has it already. */
function pushLive(t: number, bps: number, pps: number): boolean {
  if (!throughput.push(t, bps, pps)) return false;
  // For bench/ui_bench.ts: time from navigation to the first point the stream brought.
  if (throughput.livePoints === 1) performance.mark(FIRST_LIVE_POINT_MARK);
  return true;
}

/**
 * Draws the finished seconds the tail saw after second `after` (it does not draw while a load
 * is out); returns the last one drawn, if any.
 */
function pushRecentAfter(after: number): number | undefined {
  let last: number | undefined;
  for (const [t, bv, pv] of recent) if (t > after && pushLive(t, bv, pv)) last = t;
  return last;
}

function rememberRecent(t: number[], bps: number[] = [], pps: number[] = []): void {
  for (let i = Math.max(0, t.length - 10); i < t.length; i++) {
    if (recent.length > 0 && t[i] <= recent[recent.length - 1][0]) continue;
    recent.push([t[i], bps[i] ?? 0, pps[i] ?? 0]);
  }
  recent.splice(0, Math.max(0, recent.length - 10));
  const last = recent.slice(-NOW_SECONDS);
  if (last.length === 0) return;
  nowRate.value = {
    bps: last.reduce((s, p) => s + p[1], 0) / last.length,
    pps: last.reduce((s, p) => s + p[2], 0) / last.length,
    to: last[last.length - 1][0],
    seconds: last.length,
  };
}

/**
 * Fetches the seconds finished since the last one seen (on every rates update, once a second):
 * the headline always, the chart when its range is live.
 */
export async function loadTail(): Promise<void> {
  const lastFinished = Math.floor(serverNow()) - 1;
  serverSecond.value = lastFinished;
  if (tailBusy) return;
  const known = recent.length > 0 ? recent[recent.length - 1][0] : 0;
  const from = Math.max(known + 1, lastFinished - 9);
  if (from > lastFinished) return;
  tailBusy = true;
  try {
    const params = { from: String(from), step: "1" };
    const [bps, pps] = await Promise.all([
      apiGet<SeriesResponse>("series", { ...params, metric: "bps" }),
      apiGet<SeriesResponse>("series", { ...params, metric: "pps" }),
    ]);
    if (bps.step !== 1) return;
    const bv = bps.series[0]?.values ?? [];
    const pv = pps.series[0]?.values ?? [];
    rememberRecent(bps.t, bv, pv);
    const meta = chartMeta.peek();
    if (!meta.live || meta.step !== 1 || chartSettled !== chartGeneration) return;
    let added = 0;
    for (let i = 0; i < bps.t.length; i++) {
      if (pushLive(bps.t[i], bv[i] ?? 0, pv[i] ?? 0)) added++;
    }
    if (added === 0) return;
    const span = RANGE_SECONDS[view.peek().range as "1h"] ?? 3600;
    const newest = bps.t[bps.t.length - 1];
    throughput.trim(newest - span + 1);
    // The span starts at the first point at the latest (the server's clock can be a little
    // behind the uptime the first load went by).
    const start = Math.min(Math.max(meta.from, newest - span + 1), throughput.bps[0]?.x ?? newest);
    batch(() => {
      chartMeta.value = { ...meta, from: start, to: newest };
      throughputVersion.value++;
    });
  } catch (error) {
    // The API's answers are shown by the connection state and the token prompt; a bug is not.
    if (!isFetchFailure(error)) throw error;
  } finally {
    tailBusy = false;
  }
}

/** What talkers and the mix depend on: answers for another key are stale. */
function talkersKey(v: ViewState): string {
  return JSON.stringify([v.range, v.from, v.to, v.window, talkersBy(v)]);
}

/** Talkers and protocols over the view's range (not live) or window (live), over REST. */
export async function loadTalkersAndMix(): Promise<void> {
  const v = view.peek();
  const b = rangeBounds(v, serverNow());
  const where: Record<string, string> = b.live
    ? { window: v.window }
    : { from: String(b.from), to: String(b.to) };
  const [t, p] = await Promise.allSettled([
    apiGet<TalkersResponse>("talkers", {
      ...where,
      by: talkersBy(v),
      limit: String(TALKERS_ASKED),
    }),
    apiGet<ProtocolsResponse>("protocols", where),
  ]);
  if (talkersKey(view.peek()) !== talkersKey(v)) return; // a newer view asked meanwhile
  batch(() => {
    if (!hasMixFilter(view.peek())) {
      talkers.value = t.status === "fulfilled"
        ? { data: t.value, fromFlows: 0, error: null }
        : { data: null, fromFlows: 0, error: messageOf(t.reason) };
    }
    if (p.status === "fulfilled") protocols.value = p.value;
  });
}

/** Whether the mix filters the flows (then talkers are summed from those flows). */
export function hasMixFilter(v: ViewState): boolean {
  return v.app !== "" || v.service !== "" || v.proto !== "";
}

/**
 * Figures the API has no answer for, summed from the biggest flows of the window or range:
 * the apps (when /protocols lists none) and the talkers of the mix filter.
 */
export async function loadFromFlows(): Promise<void> {
  const v = view.peek();
  const b = rangeBounds(v, serverNow());
  const nowWindow = b.live && v.window === "now";
  const base: Record<string, string> = {
    sort: nowWindow ? "rate_now" : "bytes",
    order: "desc",
    limit: String(FLOWS_SUMMED),
  };
  if (nowWindow) base.active = "true";
  else if (b.live) base.from = String(Math.floor(serverNow()) - windowSeconds(v.window));
  else Object.assign(base, { from: String(b.from), to: String(b.to) });
  const by = nowWindow ? "rate" : "bytes";
  const needApps = (protocols.peek()?.apps.length ?? 0) === 0;
  const jobs: Promise<void>[] = [];
  if (needApps) {
    jobs.push(
      apiGet<FlowsResponse>("flows", base).then((page) => {
        appMix.value = {
          apps: appsOf(page.flows, by, serverSecond.peek()),
          fromFlows: page.flows.length,
          by,
          allFlows: page.total <= page.flows.length,
        };
      }),
    );
  } else {
    appMix.value = null; // the mix shows the API's own app totals
  }
  if (hasMixFilter(v)) {
    jobs.push(
      apiGet<FlowsResponse>("flows", { ...base, ...mixQuery(v) }).then((page) => {
        if (JSON.stringify(mixQuery(view.peek())) !== JSON.stringify(mixQuery(v))) return;
        const hosts = hostsOf(page.flows, serverSecond.peek()).filter((h) =>
          by === "rate" ? h.rate_sent + h.rate_received > 0 : true
        );
        talkers.value = {
          data: {
            window: b.live ? v.window : null,
            tier: "memory",
            from: b.live ? null : b.from,
            to: b.live ? null : b.to,
            by: "bytes",
            talkers: hosts,
          },
          fromFlows: page.flows.length,
          error: null,
        };
      }),
    );
  }
  await Promise.allSettled(jobs);
}

function windowSeconds(w: ViewState["window"]): number {
  return w === "1m" ? 60 : w === "5m" ? 300 : w === "15m" ? 900 : w === "60m" ? 3600 : 3;
}

/** One page of flows for `params` (REST): first answers, and every page of a fixed range. */
export async function loadFlows(params: Record<string, string>): Promise<void> {
  flowRequest?.abort();
  const request = flowRequest = new AbortController();
  const generation = flowGeneration;
  try {
    const data = await apiGet<FlowsResponse>("flows", params, request.signal);
    if (generation === flowGeneration) flowPage.value = { data, error: null };
  } catch (error) {
    if (request.signal.aborted || generation !== flowGeneration) return;
    // A 401 raises the token prompt; the table says nothing of it behind the prompt.
    if (error instanceof ApiRequestError && error.status === 401) return;
    flowPage.value = {
      data: null,
      error: messageOf(error),
      parameter: error instanceof ApiRequestError ? error.parameter : null,
    };
  }
}

/** Starts a new generation of flow pages: answers of older ones are dropped. */
export function nextFlowGeneration(): number {
  return ++flowGeneration;
}

/** Whether `generation` is still the current one. */
export function isFlowGeneration(generation: number): boolean {
  return generation === flowGeneration;
}

/** The flow query of the view now: with the range's span when it is not live. */
export function currentFlowQuery(v: ViewState): Record<string, string> {
  const b = rangeBounds(v, serverNow());
  return flowQuery(v, b.live ? undefined : { from: b.from, to: b.to });
}
