// The REST routes under /api/v1 and /metrics, and the stream's view of the same data: one query
// behind each, so a subscription and a GET of the same parameters answer alike.

import type { OpenAPIHono } from "@hono/zod-openapi";
import { CaptureError } from "../capture/capture_error.ts";
import { flowsCsv } from "./csv.ts";
import { ApiError } from "./errors.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import type { InterfaceLister, MonitorLike } from "./monitor_like.ts";
import {
  flowRoute,
  flowsRoute,
  healthRoute,
  hostRoute,
  interfacesRoute,
  metricsRoute,
  protocolsRoute,
  seriesRoute,
  statsRoute,
  talkersRoute,
} from "./routes.ts";
import { flowsRange, protocolsRange, type Ranges, seriesRange, talkersRange } from "./ranges.ts";
import type { StreamSource } from "./stream_types.ts";
import {
  asked,
  type FlowParams,
  healthView,
  interfaceView,
  type StatsParts,
  statsView,
} from "./views.ts";
import type { WindowName } from "./wire.ts";

/** What the routes read. */
export interface ApiContext {
  monitor: MonitorLike;
  /** Memory and, when there is one, history on disk. */
  ranges: Ranges;
  version: string;
  /** /stats' figures besides the monitor's (stream, memory, exports, HTTP, history). */
  statsParts: () => StatsParts;
  listInterfaces?: InterfaceLister;
  /** The process start, epoch seconds, for /metrics. */
  startedAtSec: number;
}

/** Mounts the REST routes (health, stats, interfaces, flows, hosts, series, talkers, ...) on `app`. */
export function mountApiRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  const { monitor: m, ranges, version, statsParts, startedAtSec } = ctx;
  app.openapi(healthRoute, (c) => {
    // 503 while the capture has failed, so a probe that only reads the status code notices.
    const health = healthView(m, version);
    return health.status === "error" ? c.json(health, 503) : c.json(health, 200);
  });
  app.openapi(
    statsRoute,
    async (c) => c.json(await statsView(m, version, statsParts()), 200),
  );
  app.openapi(interfacesRoute, (c) => {
    let list;
    try {
      list = ctx.listInterfaces?.() ?? [];
    } catch (error) {
      if (error instanceof CaptureError) throw new ApiError(503, "unavailable", error.message);
      throw error;
    }
    return c.json({
      interfaces: list.map(interfaceView),
      capturing: m.source.kind === "interface" ? m.source.device : null,
    }, 200);
  });
  app.openapi(flowsRoute, async (c) => {
    const { format, ...query } = c.req.valid("query");
    const page = await flowsRange(ranges, query);
    const csv = format === "csv" ||
      (format === undefined && /\btext\/csv\b/i.test(c.req.header("accept") ?? ""));
    if (csv) {
      return c.body(flowsCsv(page.flows), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "X-Total-Count": String(page.total),
        ...(page.next_cursor ? { "X-Next-Cursor": page.next_cursor } : {}),
      });
    }
    return c.json(page, 200);
  });
  app.openapi(flowRoute, async (c) => {
    const { id } = c.req.valid("param");
    const flow = await asked(m, { op: "flow", id });
    if (!flow) throw new ApiError(404, "not_found", `No flow with id ${id}`);
    return c.json(flow, 200);
  });
  app.openapi(hostRoute, async (c) => {
    const { address } = c.req.valid("param");
    const host = await asked(m, { op: "host", address });
    if (!host) throw new ApiError(404, "not_found", `No host ${address} in the host table`);
    return c.json(host, 200);
  });
  app.openapi(
    seriesRoute,
    async (c) => c.json(await seriesRange(ranges, c.req.valid("query")), 200),
  );
  app.openapi(
    talkersRoute,
    async (c) => c.json(await talkersRange(ranges, c.req.valid("query")), 200),
  );
  app.openapi(
    protocolsRoute,
    async (c) => c.json(await protocolsRange(ranges, c.req.valid("query")), 200),
  );
  app.openapi(
    metricsRoute,
    async (c) =>
      c.text(
        renderMetrics(m, await asked(m, { op: "figures" }), statsParts(), startedAtSec),
        200,
        { "Content-Type": METRICS_CONTENT_TYPE },
      ),
  );
}

/** Query parameter names of each validated route, by route path as Hono writes it. */
export function acceptedParameters(): Record<string, readonly string[]> {
  const routes = [
    healthRoute,
    hostRoute,
    statsRoute,
    interfacesRoute,
    flowsRoute,
    flowRoute,
    seriesRoute,
    talkersRoute,
    protocolsRoute,
    metricsRoute,
  ];
  return Object.fromEntries(routes.map((r) => [
    r.path.replace(/\{(\w+)\}/g, ":$1"),
    Object.keys(r.request.query.shape),
  ]));
}

/** The stream's data: the REST body of the same query for each topic, and capture totals. */
export function streamSource(
  ranges: Ranges,
  m: MonitorLike,
  version: string,
  statsParts: () => StatsParts,
): StreamSource {
  return {
    snapshot(topic, params): Promise<unknown> {
      switch (topic) {
        case "flows":
          return flowsRange(ranges, params as FlowParams);
        case "talkers":
          return talkersRange(ranges, params as Parameters<typeof talkersRange>[1]);
        case "protocols":
          return protocolsRange(ranges, params as { window?: WindowName });
        case "stats":
          return statsView(m, version, statsParts());
      }
    },
    totals() {
      const c = m.capture;
      return {
        packets: c.packets,
        bytes: c.bytes,
        dropped: c.stats ? c.stats.droppedByKernel + c.stats.droppedByInterface : 0,
      };
    },
  };
}
