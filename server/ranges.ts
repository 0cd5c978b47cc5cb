// Answers over time from memory or from history, whichever holds the range: one API for both.
//
// Memory holds what happened since Netwatch started: the last hour at 1 s, the day at 1 min,
// top talkers for windows up to an hour ending now, ended flows for an hour. History (on disk)
// holds every finished minute since it was first started, rolled up to 5 min and 1 h, and the
// ended flows its size cap keeps. A range that starts before memory's reach is read from
// history, which picks its own tier and says so; everything else comes from memory.

import type { HistoryClient } from "../history/history_client.ts";
import type { HistoryQuery, QueryResults } from "../history/types.ts";
import type { FlowPage } from "../flows/query.ts";
import { mergeFlowPages } from "../pipeline/merge.ts";
import { ApiError, badParameter } from "./errors.ts";
import { LIMITS } from "./vocabulary.ts";
import type { MonitorLike } from "./monitor_like.ts";
import { asked, checkRange, type FlowParams, flowQuery } from "./views.ts";
import type {
  FlowsResponse,
  ProtocolsResponse,
  SeriesResponse,
  TalkersResponse,
  Tier,
  WindowName,
} from "./wire.ts";

/** Where ranges older than memory go (undefined: memory only, --no-history). */
export interface Ranges {
  monitor: MonitorLike;
  history?: HistoryClient;
}

/** Asks history, turning the store's parameter errors (TypeError, RangeError) into 400s. */
async function fromHistory<K extends HistoryQuery["kind"]>(
  history: HistoryClient,
  q: Extract<HistoryQuery, { kind: K }>,
): Promise<QueryResults[K] | null> {
  try {
    return await history.query(q);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new ApiError(400, "bad_parameter", error.message);
    }
    throw error;
  }
}

/** The first second memory holds data of: when the monitor started. */
export function memoryFrom(m: MonitorLike): number {
  return Math.floor(Date.now() / 1000 - m.uptimeSec);
}

/**
 * True when a range starting at `from` needs history: it starts before memory's reach and
 * history holds something from before then (otherwise memory has everything there is).
 */
function needsHistory(r: Ranges, from: number): boolean {
  if (!r.history) return false;
  const start = memoryFrom(r.monitor);
  if (from >= start) return false;
  const oldest = Object.values(r.history.status().oldest).filter((t) => t !== null) as number[];
  return oldest.length > 0 && Math.min(...oldest) < start;
}

/** The last finished second: "now" everywhere in the API means up to it. */
function lastFinished(m: MonitorLike): number {
  return Math.floor(m.nowSec) - 1;
}

/** Seconds a window covers ("now" is the last 3 finished seconds). */
const WINDOW_SECONDS: Record<WindowName, number> = {
  now: 3,
  "1m": 60,
  "5m": 300,
  "15m": 900,
  "60m": 3600,
};

/** How far past the last finished second an open range (no `to`) may start and get no points. */
const FUTURE_SLACK_SEC = 60;

/** A window and a range are two ways to say what to sum: one is asked for, never both. */
function notBoth(p: { window?: WindowName; from?: number; to?: number }): void {
  if (p.window !== undefined) {
    throw badParameter("window", p.window, "expected either window or from/to, not both");
  }
}

/**
 * The smallest memory window covering `from` to `to` (ending now), or undefined. Memory holds
 * everything since the monitor started, so a range reaching back before that (and before any
 * history: the caller asked the disk first) needs only the part since the start: a 24-hour
 * range in the first minutes of a fresh install is answered, not refused.
 */
function memoryWindow(m: MonitorLike, from: number, to: number): WindowName | undefined {
  const start = memoryFrom(m);
  if (to < start) return undefined; // over before the monitor started: memory has none of it
  const span = to - Math.max(from, start);
  return (["1m", "5m", "15m", "60m"] as const).find((w) => WINDOW_SECONDS[w] >= span);
}

/** GET /series. */
export async function seriesRange(
  r: Ranges,
  p: {
    metric?: "bps" | "pps";
    breakdown?: "none" | "protocol" | "service" | "app";
    from?: number;
    to?: number;
    step?: number;
  },
): Promise<SeriesResponse> {
  const m = r.monitor;
  const to = p.to ?? lastFinished(m);
  const from = p.from ?? to - 299;
  if (p.to === undefined && from > to && from <= to + FUTURE_SLACK_SEC) {
    // Seconds that have not finished yet (a client's clock a little ahead of the capture's,
    // or the first seconds after a start): no points yet, which is not the client's error.
    const metric = p.metric ?? "bps";
    const unit = metric === "bps" ? "bit/s" : "packet/s";
    return { tier: "memory", metric, unit, step: p.step ?? 1, from, to, t: [], series: [] };
  }
  checkRange(from, to, p);
  if (r.history && (needsHistory(r, from) || p.breakdown === "app")) {
    const h = await fromHistory(r.history, { kind: "series", ...p, from, to });
    if (h) {
      const { tier, metric, unit, step, t, series } = h;
      return { tier, metric, unit, step, from: h.from, to: h.to, t, series };
    }
  }
  if (p.breakdown === "app") {
    throw badParameter(
      "breakdown",
      "app",
      "expected none, protocol or service (app needs history)",
    );
  }
  const answer = await asked(m, {
    op: "series",
    params: { ...p, breakdown: p.breakdown as "none" | "protocol" | "service", from, to },
  });
  return { tier: "memory", ...answer };
}

/** GET /talkers. */
export async function talkersRange(
  r: Ranges,
  p: {
    window?: WindowName;
    from?: number;
    to?: number;
    by?: TalkersResponse["by"];
    limit?: number;
  },
): Promise<TalkersResponse> {
  const m = r.monitor;
  const by = p.by ?? "bytes";
  const limit = p.limit ?? LIMITS.talkersDefault;
  if (p.from === undefined && p.to === undefined) {
    const window = p.window ?? "now";
    const talkers = await asked(m, { op: "talkers", window, by, limit });
    return { window, tier: "memory", from: null, to: null, by, talkers };
  }
  notBoth(p);
  const to = p.to ?? Math.floor(m.nowSec);
  const from = p.from ?? to - 300;
  checkRange(from, to, p);
  if (r.history && (needsHistory(r, from) || to < lastFinished(m) - 60)) {
    const h = await fromHistory(r.history, { kind: "talkers", from, to, by, limit });
    if (h) {
      const talkers = h.talkers.map((t) => ({ ...t }));
      return { window: null, tier: h.tier, from: h.from, to: h.to, by, talkers };
    }
  }
  // Memory answers windows ending now: the smallest window that covers the range.
  const window = memoryWindow(m, from, to);
  if (!window || to < lastFinished(m) - 60) {
    throw badParameter(
      "from",
      p.from,
      "expected a range within the last hour ending now (older ranges need history)",
    );
  }
  const talkers = await asked(m, { op: "talkers", window, by, limit });
  return { window, tier: "memory", from, to, by, talkers };
}

/** GET /protocols. */
export async function protocolsRange(
  r: Ranges,
  p: { window?: WindowName; from?: number; to?: number },
): Promise<ProtocolsResponse> {
  const m = r.monitor;
  if (p.from === undefined && p.to === undefined) {
    const window = p.window ?? "5m";
    const a = await asked(m, { op: "protocols", window });
    return { ...a, window, tier: "memory", from: null, to: null };
  }
  notBoth(p);
  const to = p.to ?? Math.floor(m.nowSec);
  const from = p.from ?? to - 300;
  checkRange(from, to, p);
  if (r.history && (needsHistory(r, from) || to < lastFinished(m) - 60)) {
    const h = await fromHistory(r.history, { kind: "protocols", from, to });
    if (h) {
      return {
        window: null,
        tier: h.tier,
        from: h.from,
        to: h.to,
        seconds: h.seconds,
        packets: h.packets,
        bytes: h.bytes,
        dropped: h.dropped,
        protocols: h.protocols,
        services: h.services,
        apps: h.apps,
      };
    }
  }
  const window = memoryWindow(m, from, to);
  if (!window) {
    throw badParameter("from", p.from, "expected a range within the last hour (older: history)");
  }
  if (to < lastFinished(m) - 60) {
    throw badParameter("to", p.to, "expected a range ending now (older ranges need history)");
  }
  const a = await asked(m, { op: "protocols", window });
  return { ...a, window, tier: "memory" as Tier, from, to };
}

/**
 * GET /flows: flows in memory (active, and ended within the hour) and, with history, ended
 * flows on disk that memory no longer holds, merged into one page by the same sort.
 */
export async function flowsRange(r: Ranges, p: FlowParams): Promise<FlowsResponse> {
  const m = r.monitor;
  const query = flowQuery(p);
  if (!r.history || query.active === true) return await asked(m, { op: "flows", query });
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  const wide = { ...query, offset: 0, limit: offset + limit + 1, withValues: true };
  // Disk holds every ended flow; memory the ones that ended since its oldest ended record.
  const figures = await asked(m, { op: "figures" });
  const endedBefore = figures.flows.oldest_ended ?? Math.floor(m.nowSec) + 1;
  const disk = await fromHistory(r.history, {
    kind: "flows",
    query: { ...wide, endedBefore },
  }) as FlowPage | null;
  // Nothing on disk that memory lacks: memory's own page. (A merge needs every row up to the
  // page's end from each side: at a deep offset, tens of thousands of records to copy from the
  // engine's thread and merge on this one, which stalled every other request.)
  if (!disk || disk.total === 0) return await asked(m, { op: "flows", query });
  const memory = await asked(m, { op: "flows", query: wide });
  const diskPage: FlowPage = {
    ...disk,
    flows: disk.flows.map((f) => ({ ...f, rate_now: 0, aggregate: f.aggregate ?? false })),
  };
  return mergeFlowPages([memory, diskPage], query);
}
