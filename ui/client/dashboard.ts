// Runs the page in the browser: reads the view from the URL, keeps it there, and feeds the
// shared signals from the live stream (a live range) or from REST (a range in the past).
//
// Live: the stream's rates topic ticks once a second and each tick fetches the seconds that
// finished since the last (the chart and the headline: only finished seconds, one definition
// of "now"); talkers, protocols and flows come as stream topics. A past range is read once over
// REST, and again as a relative range (the last 6 h...) moves on by a step.

import { computed, effect } from "@preact/signals";
import type {
  FlowsResponse,
  ProtocolsResponse,
  StatsResponse,
  TalkersResponse,
} from "../../server/wire.ts";
import { apiGet, ApiRequestError } from "./api.ts";
import {
  currentFlowQuery,
  hasMixFilter,
  isFlowGeneration,
  loadChart,
  loadFlows,
  loadFromFlows,
  loadTail,
  loadTalkersAndMix,
  nextFlowGeneration,
  TALKERS_ASKED,
  talkersBy,
} from "./feeds.ts";
import { rangeBounds } from "./range_bounds.ts";
import {
  authRequired,
  chartMeta,
  connection,
  flowPage,
  flowsLive,
  noteServerTime,
  protocols,
  serverNow,
  stats,
  talkers,
  view,
} from "./store.ts";
import { StreamClient } from "./stream_client.ts";
import { viewHistory } from "./view_history.ts";
import { isLive, parseView } from "./view_state.ts";

export { FIRST_LIVE_POINT_MARK } from "./feeds.ts";

/** Milliseconds between updates of each stream topic. */
const INTERVALS = { rates: 1000, stats: 1000, talkers: 1000, protocols: 2000, flows: 1000 };
/** Live ticks between two sums over flows (apps of a window, talkers of an app). */
const FLOW_SUM_TICKS = 2;

let client: StreamClient | null = null;
let started = false;
let ticks = 0;

/** Starts the dashboard once, after the islands hydrated. */
export function startDashboard(): void {
  if (started) return;
  started = true;
  const restore = () => {
    const v = parseView(location.search);
    viewHistory.restored(v);
    view.value = v;
  };
  restore();
  // Back and Forward bring back the view of their entry.
  addEventListener("popstate", restore);
  effect(() => viewHistory.write(view.value));
  // Behind the token prompt the page shows nothing it could not load.
  effect(() => {
    document.body.classList.toggle("locked", authRequired.value);
  });
  // One request first: when it says a token is needed, nothing else is asked (each would be
  // one more 401) until a login in the token prompt.
  void apiGet("health").catch(() => {
    // Unreachable: the stream's retries say so. A 401 raised the token prompt.
  }).then(() => afterLogin(startFeeds));
}

/** Runs `run` now, or once a login succeeded while the token prompt is up. */
function afterLogin(run: () => void): void {
  if (!authRequired.peek()) return run();
  const stop = effect(() => {
    if (authRequired.value) return;
    stop();
    queueMicrotask(run); // outside this effect, so that it tracks nothing `run` reads
  });
}

/** The stream, its subscriptions and the REST loads that follow the view. */
function startFeeds(): void {
  const stream = client = openStream();
  stream.subscribe("stats", "stats", {}, INTERVALS.stats, (data, ts) => {
    noteServerTime(ts);
    stats.value = data as StatsResponse;
  });
  stream.subscribe("rates", "rates", {}, INTERVALS.rates, (_data, ts) => {
    noteServerTime(ts);
    void loadTail();
    if (++ticks % FLOW_SUM_TICKS === 0 && isLive(view.peek())) void loadFromFlows();
  });
  // Each subscription follows only the part of the view it depends on.
  followTalkers(stream);
  followFlows(stream);
  followRange();
  effect(() => {
    // After a login, connect at once instead of waiting for the next retry.
    if (!authRequired.value && connection.peek().status === "auth") stream.connect();
  });
  stream.connect();
}

/** The stream client, its state mirrored in `connection` (not yet connected). */
function openStream(): StreamClient {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return new StreamClient(`${scheme}//${location.host}/api/v1/stream`, {
    onOpen() {
      connection.value = { status: "live", retryAt: null, attempts: 0, lastLive: Date.now() };
      void refreshAll();
    },
    onDown(retryAt, attempts) {
      const was = connection.peek();
      connection.value = {
        status: retryAt === null ? "auth" : "retrying",
        retryAt,
        attempts,
        // Panels that keep their last figures say from when.
        lastLive: was.status === "live" ? Date.now() : was.lastLive,
      };
    },
    async shouldRetry() {
      try {
        await apiGet("health");
        return true;
      } catch (error) {
        return !(error instanceof ApiRequestError && error.status === 401);
      }
    },
  });
}

/** Talkers and the protocol mix: streamed while the view is live, else loaded for the range. */
function followTalkers(stream: StreamClient): void {
  const talkersParams = computed(() => {
    const v = view.value;
    return JSON.stringify({
      live: isLive(v),
      window: v.window,
      by: talkersBy(v),
      mix: hasMixFilter(v),
      range: v.range,
      from: v.from,
      to: v.to,
      app: v.app,
      service: v.service,
      proto: v.proto,
    });
  });
  effect(() => {
    const p = JSON.parse(talkersParams.value);
    if (p.live && !p.mix) {
      stream.subscribe(
        "talkers",
        "talkers",
        { window: p.window, by: p.by, limit: TALKERS_ASKED },
        INTERVALS.talkers,
        (d) => (talkers.value = { data: d as TalkersResponse, fromFlows: 0, error: null }),
      );
    } else {
      stream.unsubscribe("talkers");
    }
    if (p.live) {
      stream.subscribe("protocols", "protocols", { window: p.window }, INTERVALS.protocols, (d) => {
        protocols.value = d as ProtocolsResponse;
      });
    } else {
      stream.unsubscribe("protocols");
    }
    if (p.mix) talkers.value = { data: null, fromFlows: 0, error: null };
    void loadTalkersAndMix().then(loadFromFlows);
  });
}

/** The flow table: streamed while live and followed, else loaded once per query. */
function followFlows(stream: StreamClient): void {
  const flowParams = computed(() => {
    const v = view.value;
    return JSON.stringify({ live: isLive(v), query: currentFlowQuery(v) });
  });
  effect(() => {
    const { live, query } = JSON.parse(flowParams.value) as {
      live: boolean;
      query: Record<string, string>;
    };
    const follow = live && flowsLive.value;
    const generation = nextFlowGeneration();
    if (follow) {
      stream.subscribe("flows", "flows", query, INTERVALS.flows, (d) => {
        if (isFlowGeneration(generation)) {
          flowPage.value = { data: d as FlowsResponse, error: null };
        }
      });
    } else {
      stream.unsubscribe("flows");
    }
    void loadFlows(query);
  });
}

/** The chart: loaded for each range, and moved on as a relative past range advances. */
function followRange(): void {
  const range = computed(() => JSON.stringify([view.value.range, view.value.from, view.value.to]));
  effect(() => {
    range.value;
    void loadChart();
  });
  // A relative past range (the last 6 h...) moves on when its last step has finished.
  setInterval(() => {
    const v = view.peek();
    const meta = chartMeta.peek();
    if (isLive(v) || v.range === "custom" || connection.peek().status !== "live") return;
    if (rangeBounds(v, serverNow()).to > meta.to) void refreshRange();
  }, 5000);
}

/** Reconnects the stream now (after a login). */
export function reconnectNow(): void {
  client?.connect();
}

/** Everything a past range shows, again. */
async function refreshRange(): Promise<void> {
  await Promise.allSettled([
    loadChart(),
    loadTalkersAndMix().then(loadFromFlows),
    loadFlows(currentFlowQuery(view.peek())),
  ]);
}

/** Loads everything shown from REST, so a (re)connected page is complete at once. */
async function refreshAll(): Promise<void> {
  await Promise.allSettled([
    refreshRange(),
    apiGet<StatsResponse>("stats").then((s) => (stats.value = s)),
  ]);
}
