// The route table: every route's method, path, parameters and responses, for validation and OpenAPI.

import { createRoute, z } from "@hono/zod-openapi";
import {
  emptyQuery,
  ErrorSchema,
  flowIdParams,
  FlowSchema,
  flowsQuery,
  FlowsSchema,
  HealthSchema,
  hostParams,
  HostSchema,
  InterfacesSchema,
  protocolsQuery,
  ProtocolsSchema,
  seriesQuery,
  SeriesSchema,
  StatsSchema,
  talkersQuery,
  TalkersSchema,
} from "./schemas.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const errors = {
  400: json(ErrorSchema, "A parameter is invalid: the message names it and the accepted values"),
  401: json(ErrorSchema, "A token is required and was missing or wrong"),
  403: json(ErrorSchema, "The Host (or a browser's Origin) is not one of this server's names"),
  429: json(ErrorSchema, "Too many wrong tokens from this address lately (see Retry-After)"),
};
const security = [{ bearer: [] }];

export const healthRoute = createRoute({
  method: "get",
  path: "/api/v1/health",
  summary: "Liveness and capture state",
  request: { query: emptyQuery },
  security,
  responses: {
    200: json(HealthSchema, "Capture state"),
    503: json(
      HealthSchema,
      "The capture has failed (capture.error says why); the API still answers",
    ),
    ...errors,
  },
});

export const statsRoute = createRoute({
  method: "get",
  path: "/api/v1/stats",
  summary: "Capture counters, flow table, memory, stream",
  request: { query: emptyQuery },
  security,
  responses: { 200: json(StatsSchema, "Counters since start"), ...errors },
});

export const interfacesRoute = createRoute({
  method: "get",
  path: "/api/v1/interfaces",
  summary: "Interfaces Netwatch can capture on",
  request: { query: emptyQuery },
  security,
  responses: {
    200: json(InterfacesSchema, "Interfaces"),
    503: json(ErrorSchema, "libpcap cannot list interfaces"),
    ...errors,
  },
});

export const flowsRoute = createRoute({
  method: "get",
  path: "/api/v1/flows",
  summary: "Active and ended flows: filter, sort, page",
  request: { query: flowsQuery },
  security,
  responses: {
    200: {
      content: {
        "application/json": { schema: FlowsSchema },
        "text/csv": { schema: z.string() },
      },
      description: "A page of flows (CSV with format=csv or Accept: text/csv)",
    },
    ...errors,
  },
});

export const flowRoute = createRoute({
  method: "get",
  path: "/api/v1/flows/{id}",
  summary: "One flow, active or ended",
  request: { params: flowIdParams, query: emptyQuery },
  security,
  responses: {
    200: json(FlowSchema, "The flow"),
    404: json(ErrorSchema, "No flow with this id (never seen, or dropped from history)"),
    ...errors,
  },
});

export const hostRoute = createRoute({
  method: "get",
  path: "/api/v1/hosts/{address}",
  summary: "One host: names with their sources, place, traffic, rate by minute, peers, apps",
  request: { params: hostParams, query: emptyQuery },
  security,
  responses: {
    200: json(HostSchema, "The host"),
    404: json(ErrorSchema, "A host never seen (or evicted from the host table)"),
    ...errors,
  },
});

export const seriesRoute = createRoute({
  method: "get",
  path: "/api/v1/series",
  summary: "Bits or packets per second over time, optionally by protocol or service",
  request: { query: seriesQuery },
  security,
  responses: { 200: json(SeriesSchema, "Points"), ...errors },
});

export const talkersRoute = createRoute({
  method: "get",
  path: "/api/v1/talkers",
  summary: "Top hosts over a window",
  request: { query: talkersQuery },
  security,
  responses: { 200: json(TalkersSchema, "Busiest hosts first"), ...errors },
});

export const protocolsRoute = createRoute({
  method: "get",
  path: "/api/v1/protocols",
  summary: "Protocol and service breakdown over a window",
  request: { query: protocolsQuery },
  security,
  responses: { 200: json(ProtocolsSchema, "Totals"), ...errors },
});

export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus text exposition format",
  request: { query: emptyQuery },
  security,
  responses: {
    200: { content: { "text/plain": { schema: z.string() } }, description: "Metrics" },
    ...errors,
  },
});

export const streamRoute = createRoute({
  method: "get",
  path: "/api/v1/stream",
  summary: "WebSocket live stream",
  description: "JSON messages. Client: {op: subscribe, id, topic: rates|protocols|talkers|" +
    "flows|stats, interval_ms?: 100-60000 (default 1000), params?: the REST query parameters}, " +
    "{op: unsubscribe, id}, {op: ping}. Server: {type: data, id, topic, ts, data} per " +
    "subscription per interval, subscribed, unsubscribed, error {id?, code, message}, pong. " +
    "Browsers authenticate by offering the subprotocols netwatch.v1 and " +
    "netwatch.token.<base64url token>.",
  request: { query: emptyQuery },
  security,
  responses: {
    101: { description: "Switching to WebSocket" },
    426: json(ErrorSchema, "Not a WebSocket upgrade request"),
    503: json(ErrorSchema, "Too many stream connections"),
    ...errors,
  },
});

export const loginRoute = createRoute({
  method: "post",
  path: "/login",
  summary: "Form login: opens a session (HttpOnly cookie with a random id, never the token)",
  request: {
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: z.object({ token: z.string() }) },
      },
    },
  },
  responses: {
    303: { description: "Logged in: cookie set, redirect to /" },
    401: json(ErrorSchema, "Wrong token"),
    400: json(ErrorSchema, "No token field"),
    403: json(ErrorSchema, "A foreign Host or Origin"),
    429: json(ErrorSchema, "Too many wrong tokens from this address lately (see Retry-After)"),
  },
});

export const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  summary: "Ends the browser's session and clears its cookie (a dashboard's logout button)",
  responses: {
    303: { description: "Logged out: cookie cleared, redirect to /" },
    403: json(ErrorSchema, "A foreign Host or Origin"),
  },
});
