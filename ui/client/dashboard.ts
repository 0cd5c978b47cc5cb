// Runs the page in the browser: reads the view from the URL, keeps it there, and feeds the
// shared signals from the REST API (first answers, history) and the live stream (updates).

import { batch, computed, effect } from "@preact/signals";
import type {
  FlowsResponse,
  ProtocolsResponse,
  RatesData,
  SeriesResponse,
  StatsResponse,
  TalkersResponse,
} from "../../server/wire.ts";
import { apiGet, ApiRequestError } from "./api.ts";
import {
  authRequired,
  connection,
  flowPage,
  flowsLive,
  protocols,
  stats,
  talkers,
  throughput,
  throughputVersion,
  view,
} from "./store.ts";
import { StreamClient } from "./stream_client.ts";
import { flowQuery, parseView, serializeView } from "./view_state.ts";

/** Milliseconds between updates of each stream topic. */
const INTERVALS = { rates: 1000, stats: 1000, talkers: 2000, protocols: 2000, flows: 2000 };
/** Performance mark set when the first stream point reaches the chart. */
export const FIRST_LIVE_POINT_MARK = "netwatch:first-live-point";
/** Rows of the talkers table. */
const TALKERS = 10;

let client: StreamClient | null = null;
let flowRequest: AbortController | null = null;
let flowGeneration = 0;

/** Starts the dashboard once, after the islands hydrated. */
export function startDashboard(): void {
  if (client) return;
  view.value = parseView(location.search);
  addEventListener("popstate", () => (view.value = parseView(location.search)));
  effect(() => {
    const search = serializeView(view.value);
    if (search !== location.search) history.replaceState(null, "", location.pathname + search);
  });

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  client = new StreamClient(`${scheme}//${location.host}/api/v1/stream`, {
    onOpen() {
      connection.value = {
        status: "live",
        retryAt: null,
        attempts: 0,
        lastLive: Date.now(),
      };
      void refreshAll();
    },
    onDown(retryAt, attempts) {
      connection.value = {
        ...connection.value,
        status: retryAt === null ? "auth" : "retrying",
        retryAt,
        attempts,
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

  client.subscribe("stats", "stats", {}, INTERVALS.stats, (data) => {
    stats.value = data as StatsResponse;
  });
  client.subscribe("rates", "rates", {}, INTERVALS.rates, (data, ts) => {
    const r = data as RatesData;
    if (throughput.push(ts / 1000, r.bits_per_sec, r.packets_per_sec)) {
      // For bench/ui_bench.ts: time from navigation to the first point from the stream.
      if (throughput.livePoints === 1) performance.mark(FIRST_LIVE_POINT_MARK);
      throughput.trim(ts / 1000 - view.peek().range * 60);
      throughputVersion.value++;
    }
  });

  // Each subscription follows only the part of the view it depends on.
  const windowName = computed(() => view.value.window);
  effect(() => {
    const window = windowName.value;
    client!.subscribe("talkers", "talkers", { window, limit: TALKERS }, INTERVALS.talkers, (d) => {
      talkers.value = d as TalkersResponse;
    });
    client!.subscribe("protocols", "protocols", { window }, INTERVALS.protocols, (d) => {
      protocols.value = d as ProtocolsResponse;
    });
    void loadTalkers();
  });
  const flowParams = computed(() => JSON.stringify(flowQuery(view.value)));
  effect(() => {
    const params = JSON.parse(flowParams.value) as Record<string, string>;
    const live = flowsLive.value;
    const generation = ++flowGeneration;
    if (live) {
      client!.subscribe("flows", "flows", params, INTERVALS.flows, (d) => {
        if (generation === flowGeneration) {
          flowPage.value = { data: d as FlowsResponse, error: null };
        }
      });
    } else {
      client!.unsubscribe("flows");
    }
    void loadFlows(params);
  });
  const range = computed(() => view.value.range);
  effect(() => {
    range.value;
    void loadHistory();
  });
  effect(() => {
    // After a login, connect at once instead of waiting for the next retry.
    if (!authRequired.value && connection.peek().status === "auth") client!.connect();
  });
  client.connect();
}

/** Reconnects the stream now (after a login). */
export function reconnectNow(): void {
  client?.connect();
}

/** Loads everything shown from REST, so a (re)connected page is complete at once. */
async function refreshAll(): Promise<void> {
  await Promise.allSettled([
    loadHistory(),
    loadTalkers(),
    loadFlows(flowQuery(view.peek())),
    apiGet<StatsResponse>("stats").then((s) => (stats.value = s)),
  ]);
}

/** Fills the chart with the view's range from /series (the stream then appends to it). */
async function loadHistory(): Promise<void> {
  const rangeSec = view.peek().range * 60;
  const now = Date.now() / 1000;
  const from = String(Math.floor(now - rangeSec));
  try {
    const [bps, pps] = await Promise.all([
      apiGet<SeriesResponse>("series", { metric: "bps", from }),
      apiGet<SeriesResponse>("series", { metric: "pps", from }),
    ]);
    // The newest point is a second still filling: leave it to the stream.
    const keep = bps.t.findIndex((t) => t + bps.step > now);
    const n = keep < 0 ? bps.t.length : keep;
    const live = throughput.bps.filter((p) => p.x > (bps.t[n - 1] ?? 0) + bps.step);
    const livePps = throughput.pps.slice(throughput.pps.length - live.length);
    batch(() => {
      throughput.replace(bps.t.slice(0, n), bps.series[0].values, pps.series[0].values);
      for (let i = 0; i < live.length; i++) {
        throughput.bps.push(live[i]);
        throughput.pps.push(livePps[i]);
      }
      throughputVersion.value++;
    });
  } catch {
    // Shown by the connection state and the token prompt.
  }
}

async function loadTalkers(): Promise<void> {
  const window = view.peek().window;
  try {
    const [t, p] = await Promise.all([
      apiGet<TalkersResponse>("talkers", { window, limit: String(TALKERS) }),
      apiGet<ProtocolsResponse>("protocols", { window }),
    ]);
    if (view.peek().window !== window) return;
    batch(() => {
      talkers.value = t;
      protocols.value = p;
    });
  } catch {
    // As above.
  }
}

async function loadFlows(params: Record<string, string>): Promise<void> {
  flowRequest?.abort();
  const request = flowRequest = new AbortController();
  const generation = flowGeneration;
  try {
    const data = await apiGet<FlowsResponse>("flows", params, request.signal);
    if (generation === flowGeneration) flowPage.value = { data, error: null };
  } catch (error) {
    if (request.signal.aborted || generation !== flowGeneration) return;
    flowPage.value = {
      data: null,
      error: error instanceof ApiRequestError ? error.message : "The server cannot be reached",
    };
  }
}
