// The Hono app: guards, auth, errors, the stream and the UI around the REST routes (api_routes.ts).

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { HistoryClient } from "../history/history_client.ts";
import { requireToken } from "./auth.ts";
import type { ConnectionStats } from "./connection_guard.ts";
import { ApiError, notFoundOrWrongMethod, onError } from "./errors.ts";
import type { InterfaceLister, MonitorLike } from "./monitor_like.ts";
import { HostPolicy } from "./host_policy.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { mountLogin } from "./login_routes.ts";
import { streamRoute } from "./routes.ts";
import type { ServerEnv } from "./server_env.ts";
import { SessionStore } from "./sessions.ts";
import { siteGuard } from "./site_guard.ts";
import { StreamHub, type StreamLimits } from "./stream_hub.ts";
import { streamHandler } from "./stream_route.ts";
import { mountUi } from "./ui_routes.ts";
import { acceptedParameters, mountApiRoutes, streamSource } from "./api_routes.ts";
import type { Credit } from "../ui/components/Page.tsx";
import { validationHook } from "./validation.ts";
import { NO_HTTP, type StatsParts } from "./views.ts";
import { HistoryStatsReader } from "./history_stats.ts";
import type { ExportStatus, HttpStats } from "./wire.ts";

/** Process memory figures (Deno.memoryUsage() by default). */
export type MemoryReader = () => { rss: number; heapUsed: number; heapTotal: number };

/** What createApp needs. */
export interface AppOptions {
  monitor: MonitorLike;
  version: string;
  /** Attributions the page footer shows for data in use (the built-in country database's). */
  credits?: readonly Credit[];
  /** When set, /api, /metrics and the stream require it. */
  token?: string;
  /** Lists interfaces for /interfaces (default: none known). */
  listInterfaces?: InterfaceLister;
  streamLimits?: Partial<StreamLimits>;
  memory?: MemoryReader;
  /** Export destinations' state for /stats and /metrics (default: none). */
  exportStatus?: () => ExportStatus[];
  /** History on disk: ranges older than memory are read from it (default: memory only). */
  history?: HistoryClient;
  /** History writes dropped by the capture workers' queues (each engine writes its own). */
  historyDropped?: () => number;
  /** The HTTP adapter's connection counters (server/connection_guard.ts), for /stats. */
  connections?: { stats(): ConnectionStats };
  /** Hosts and Origins answered (default: localhost names only). */
  hostPolicy?: HostPolicy;
  /** Mark the session cookie Secure always (--cookie-secure), not only behind an HTTPS proxy. */
  cookieSecure?: boolean;
  /** Wrong tokens a second per client address before 429s (default 1; 0: off). */
  loginRate?: number;
  /** Where throttled-login lines go (default stderr). */
  log?: (line: string) => void;
}

/** The app and what must be stopped with it. */
export interface NetwatchApp {
  app: OpenAPIHono;
  hub: StreamHub;
  /** Answers a request; `env` is what the HTTP adapter knows of its connection. */
  fetch: (request: Request, env?: ServerEnv) => Response | Promise<Response>;
  /** Closes every stream (1001) and stops the app's timers. Safe to call twice. */
  close(): void;
}

/** Longest request URL accepted. */
const MAX_URL = 8192;

/** Builds the app over `monitor`. */
export function createApp(options: AppOptions): NetwatchApp {
  const m = options.monitor;
  const { version, token } = options;
  const memory = options.memory ?? (() => Deno.memoryUsage());
  const exports = options.exportStatus ?? (() => []);
  const ranges = { monitor: m, history: options.history };
  const counts = { loginFailures: 0, forbidden: 0 };
  // Without an adapter (in process) the connection counters are NO_HTTP's zeros.
  const httpStats = (): HttpStats => ({
    ...(options.connections?.stats() ?? NO_HTTP),
    login_failures: counts.loginFailures,
    forbidden: counts.forbidden,
  });
  const history = new HistoryStatsReader(options.history, options.historyDropped);
  const statsParts = (): StatsParts => ({
    stream: hub.stats(),
    memory: memory(),
    exports: exports(),
    http: httpStats(),
    history: history.read(),
  });
  const hub: StreamHub = new StreamHub(
    streamSource(ranges, m, version, statsParts),
    options.streamLimits,
  );
  const startedAtSec = Math.round(Date.now() / 1000 - m.uptimeSec);

  const accepted = acceptedParameters();
  const app = new OpenAPIHono({ defaultHook: validationHook(accepted) });
  app.onError(onError);
  app.notFound(notFoundOrWrongMethod([
    ...Object.keys(accepted),
    "/api/v1/stream",
    "/api/v1/openapi.json",
  ]));
  app.use("*", limitUrl);
  const policy = options.hostPolicy ?? new HostPolicy({ listenHost: "127.0.0.1" });
  app.use("*", siteGuard(policy, () => counts.forbidden++));
  /** Secure cookies: --cookie-secure, or an HTTPS reverse proxy that is an --allowed-host. */
  const secure = (c: Context) =>
    options.cookieSecure === true ||
    (policy.viaProxy(c.req.header("host")) &&
      c.req.header("x-forwarded-proto")?.toLowerCase() === "https");
  const access = {
    token,
    sessions: new SessionStore(),
    throttle: new LoginThrottle({ rate: options.loginRate, log: options.log }),
    onFailure: () => counts.loginFailures++,
    secure,
  };
  const auth = requireToken(access);
  app.use("/api/*", auth);
  app.use("/metrics", auth);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Only when the server was started with a token",
  });

  mountApiRoutes(app, {
    monitor: m,
    ranges,
    version,
    statsParts,
    listInterfaces: options.listInterfaces,
    startedAtSec,
  });
  app.openAPIRegistry.registerPath(streamRoute);
  app.get(streamRoute.path, streamHandler(hub));
  mountUi(app, { version, auth: token !== undefined, credits: options.credits });
  mountLogin(app, access);
  app.doc31("/api/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Netwatch API",
      version,
      description: "Flows, hosts and traffic of one capture. Errors are " +
        '{"error": {"code", "message"}}.',
    },
  });

  let closed = false;
  return {
    app,
    hub,
    fetch: (request, env) => app.fetch(request, env),
    close() {
      if (closed) return;
      closed = true;
      hub.closeAll(1001);
    },
  };
}

/** 414 for request URLs longer than MAX_URL. */
const limitUrl: MiddlewareHandler = async function limitUrl(c, next) {
  if (c.req.url.length > MAX_URL) {
    throw new ApiError(414, "uri_too_long", `Request URL longer than ${MAX_URL} characters`);
  }
  await next();
};
