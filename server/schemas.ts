// Zod schemas of every query parameter and response body: validation and OpenAPI from one source.
//
// Each parameter schema fails with one message saying what it accepts; the validation hook
// (validation.ts) puts the parameter's name and value in front of it.

import { z } from "@hono/zod-openapi";
import { canonicalAddress } from "../flows/address_parse.ts";
import { protoNumber } from "../flows/flow_record.ts";
import { parsePrefix } from "../flows/query_filter.ts";
import { SERVICE_NAMES } from "../flows/services.ts";
import { captureState } from "./stats_schema.ts";
import {
  CONN_STATE_NAMES,
  LIMITS,
  SERIES_BREAKDOWNS,
  SERIES_METRICS,
  SORT_KEYS,
  SORT_ORDERS,
  TALKER_MEASURES,
  WINDOWS,
} from "./vocabulary.ts";

/** Largest page of /flows and of a flows subscription. */
export const MAX_PAGE = LIMITS.pageMax;
/** Largest offset; past it, page with `cursor` (the engine keeps offset + limit rows). */
export const MAX_OFFSET = LIMITS.offsetMax;
/** Most points one /series answer may hold. */
export const MAX_POINTS = LIMITS.seriesPointsMax;

/** A whole number in [min, max], from a query string. */
export function wholeNumber(min: number, max: number) {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.string(expected).regex(/^\d{1,16}$/, expected).transform(Number).pipe(
    z.number().int(expected).min(min, expected).max(max, expected),
  );
}

/** Epoch seconds (decimals allowed), from a query string. */
const epochSeconds = z.string("expected epoch seconds, e.g. 1700000000.5")
  .regex(/^\d{1,12}(\.\d{1,9})?$/, "expected epoch seconds, e.g. 1700000000.5")
  .transform(Number);

/** An object of query parameters that rejects unknown ones, naming those it accepts. */
export function params<T extends z.ZodRawShape>(shape: T) {
  const names = Object.keys(shape).join(", ");
  return z.object(shape).catchall(
    z.never(`unknown parameter; accepted: ${names || "none"}`),
  );
}

function oneOf<T extends string>(values: readonly [T, ...T[]]) {
  return z.enum(values, `expected one of ${values.join(", ")}`);
}

function isPrefix(text: string): boolean {
  try {
    parsePrefix(text);
    return true;
  } catch {
    return false;
  }
}

const address = z.string("expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8")
  .max(100, "expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8")
  .refine(isPrefix, "expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8");

const SERVICES = SERVICE_NAMES.slice(1) as [string, ...string[]];
const STATES = CONN_STATE_NAMES as unknown as [string, ...string[]];
export { SORT_KEYS, WINDOWS };

/** Filters, sort and page of a flow query (REST /flows and the flows topic). */
export const flowQueryShape = {
  host: address.optional().openapi({ description: "Address or CIDR of either end" }),
  src: address.optional().openapi({ description: "Address or CIDR of the client" }),
  dst: address.optional().openapi({ description: "Address or CIDR of the server" }),
  port: wholeNumber(0, 65535).optional().openapi({ description: "Port of either end" }),
  proto: z.string("expected a protocol name (tcp, udp, icmp, ...) or number 0-255")
    .max(20, "expected a protocol name (tcp, udp, icmp, ...) or number 0-255")
    .refine((p) => protoNumber(p) >= 0, "expected a protocol name (tcp, udp, icmp, ...) or number")
    .optional().openapi({ description: "Protocol name or number" }),
  vlan: wholeNumber(0, 4095).optional().openapi({ description: "802.1Q VLAN id" }),
  service: oneOf(SERVICES).optional().openapi({ description: "Service of the server port" }),
  // Zeek writes states in capitals; people type "sf" as often as "SF".
  state: z.preprocess((v) => typeof v === "string" ? v.toUpperCase() : v, oneOf(STATES))
    .optional().openapi({ description: "Zeek-style connection state (any case)" }),
  active: oneOf(["true", "false"]).transform((v) => v === "true").optional()
    .openapi({ description: "true: tracked flows only; false: ended flows only" }),
  min_bytes: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional()
    .openapi({ description: "Bytes in both directions at least this" }),
  from: epochSeconds.optional().openapi({ description: "Traffic at or after (epoch seconds)" }),
  to: epochSeconds.optional().openapi({ description: "Traffic at or before (epoch seconds)" }),
  name: z.string("expected a server name, or *.suffix, of at most 253 characters")
    .min(1, "expected a server name, or *.suffix, of at most 253 characters")
    .max(253, "expected a server name, or *.suffix, of at most 253 characters").optional()
    .openapi({ description: "Server name: exact, or *.example.com for it and below" }),
  app: z.string("expected an app label or part of one, e.g. TLS.YouTube, YouTube, QUIC")
    .min(1, "expected an app label or part of one, e.g. TLS.YouTube, YouTube, QUIC")
    .max(100, "expected an app label or part of one, e.g. TLS.YouTube, YouTube, QUIC")
    .optional().openapi({ description: "App: a label (TLS.YouTube) or one part (YouTube)" }),
  q: z.string("expected text of at most 100 characters")
    .max(100, "expected text of at most 100 characters").optional()
    .openapi({ description: "Free text: address, port, service or protocol substring" }),
  sort: oneOf(SORT_KEYS).optional().openapi({ description: "Default last" }),
  order: oneOf(SORT_ORDERS).optional().openapi({ description: "Default desc" }),
  limit: wholeNumber(1, MAX_PAGE).optional()
    .openapi({ description: `Default ${LIMITS.pageDefault}` }),
  offset: wholeNumber(0, MAX_OFFSET).optional()
    .openapi({ description: "Rows to skip (after the cursor); beyond 100000 use cursor" }),
  cursor: z.string("expected the next_cursor of a previous page")
    .max(200, "expected the next_cursor of a previous page").optional()
    .openapi({ description: "next_cursor of the previous page, same filters and sort" }),
};

export const flowsQuery = params({
  ...flowQueryShape,
  format: oneOf(["json", "csv"]).optional()
    .openapi({ description: "csv: text/csv (also with Accept: text/csv)" }),
});

/** Parameters of a flows subscription: the query without cursor and format. */
export const flowsTopicParams = params((({ cursor: _, ...rest }) => rest)(flowQueryShape));

export const flowIdParams = params({
  id: wholeNumber(1, Number.MAX_SAFE_INTEGER).openapi({
    param: { name: "id", in: "path" },
    description: "Flow id",
  }),
});

export const hostParams = params({
  address: z.string("expected an IPv4 or IPv6 address")
    .max(45, "expected an IPv4 or IPv6 address")
    .refine((a) => !a.includes("/") && isPrefix(a), "expected an IPv4 or IPv6 address")
    // Answered in the spelling the API uses everywhere (2001:db8::1, not 2001:DB8:0:0:0:0:0:1).
    .transform((a) => canonicalAddress(a) ?? a)
    .openapi({ param: { name: "address", in: "path" }, description: "IPv4 or IPv6 address" }),
});

export const seriesQuery = params({
  metric: oneOf(SERIES_METRICS).optional().openapi({ description: "Default bps" }),
  breakdown: oneOf(SERIES_BREAKDOWNS).optional()
    .openapi({ description: "Default none; app from history only" }),
  from: epochSeconds.optional().openapi({ description: "Default: to - 300" }),
  to: epochSeconds.optional().openapi({ description: "Default: the last finished second" }),
  step: wholeNumber(1, 86400).optional().openapi({
    description: "Seconds per point, rounded up to the tier's resolution (memory: 1 s for " +
      "the last hour, 60 s before; history: 60 s, 300 s or 3600 s); default the resolution",
  }),
});

export const talkersQuery = params({
  window: oneOf(WINDOWS).optional()
    .openapi({ description: "Default now (the last 3 finished seconds' rate)" }),
  from: epochSeconds.optional()
    .openapi({ description: "A range instead of a window (from history when older)" }),
  to: epochSeconds.optional().openapi({ description: "End of the range; default now" }),
  by: oneOf(TALKER_MEASURES).optional()
    .openapi({ description: "Default bytes; sent and received rank by bytes" }),
  limit: wholeNumber(1, LIMITS.talkersMax).optional()
    .openapi({ description: `Default ${LIMITS.talkersDefault}` }),
});

export const protocolsQuery = params({
  window: oneOf(WINDOWS).optional().openapi({ description: "Default 5m" }),
  from: epochSeconds.optional()
    .openapi({ description: "A range instead of a window (from history when older)" }),
  to: epochSeconds.optional().openapi({ description: "End of the range; default now" }),
});

export const emptyQuery = params({});

// Response bodies (OpenAPI components).

export { StatsSchema } from "./stats_schema.ts";

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
}).openapi("Error");

export const HealthSchema = z.object({
  status: z.enum(["ok", "error"]),
  capture: z.object({
    state: captureState,
    source: z.enum(["interface", "file"]),
    interface: z.string().nullable(),
    file: z.string().nullable(),
    error: z.object({ kind: z.string(), message: z.string() }).nullable(),
  }),
  uptime_sec: z.number(),
  version: z.string(),
}).openapi("Health");

export const InterfacesSchema = z.object({
  interfaces: z.array(z.object({
    name: z.string(),
    description: z.string(),
    addresses: z.array(z.string()),
    loopback: z.boolean(),
    up: z.boolean(),
    running: z.boolean(),
    wireless: z.boolean(),
    is_default: z.boolean(),
  })),
  capturing: z.string().nullable(),
}).openapi("Interfaces");

export const FlowSchema = z.object({
  id: z.number(),
  active: z.boolean(),
  proto: z.string(),
  src_ip: z.string(),
  src_port: z.number(),
  dst_ip: z.string(),
  dst_port: z.number(),
  vlan: z.number().nullable(),
  packets_c2s: z.number(),
  bytes_c2s: z.number(),
  packets_s2c: z.number(),
  bytes_s2c: z.number(),
  first_ts: z.number(),
  last_ts: z.number(),
  state: z.string(),
  service: z.string().nullable(),
  no_ports: z.boolean(),
  aggregate: z.boolean(),
  rate_now: z.number(),
  server_name: z.string().nullable(),
  app: z.string().nullable(),
  tunnel: z.string().nullable(),
}).openapi("Flow");

export const FlowsSchema = z.object({
  flows: z.array(FlowSchema),
  total: z.number(),
  next_cursor: z.string().nullable(),
}).openapi("FlowPage");

export const SeriesSchema = z.object({
  tier: z.string(),
  metric: z.enum(["bps", "pps"]),
  unit: z.string(),
  step: z.number(),
  from: z.number(),
  to: z.number(),
  t: z.array(z.number()),
  series: z.array(z.object({ name: z.string(), values: z.array(z.number()) })),
}).openapi("Series");

export const TalkersSchema = z.object({
  window: z.enum(WINDOWS).nullable(),
  tier: z.string(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  by: z.enum(["bytes", "packets", "sent", "received"]),
  talkers: z.array(z.object({
    address: z.string(),
    bytes_sent: z.number(),
    bytes_received: z.number(),
    packets_sent: z.number(),
    packets_received: z.number(),
    rate_sent: z.number(),
    rate_received: z.number(),
    name: z.string().nullable(),
    country: z.string().nullable(),
    asn: z.number().nullable(),
  })),
}).openapi("Talkers");

const Share = z.object({ name: z.string(), packets: z.number(), bytes: z.number() });

export const ProtocolsSchema = z.object({
  window: z.enum(WINDOWS).nullable(),
  tier: z.string(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  seconds: z.number(),
  packets: z.number(),
  bytes: z.number(),
  dropped: z.number(),
  protocols: z.array(Share),
  services: z.array(Share),
  apps: z.array(Share),
}).openapi("Protocols");

const Share3 = z.object({ name: z.string(), bytes: z.number(), flows: z.number() });

export const HostSchema = z.object({
  address: z.string(),
  names: z.array(z.object({
    name: z.string(),
    source: z.string(),
    seen: z.number(),
    expires: z.number(),
  })),
  place: z.object({
    country: z.string().nullable(),
    asn: z.number().nullable(),
    as_org: z.string().nullable(),
    city: z.string().nullable(),
  }),
  rate: z.object({ sent: z.number(), received: z.number() }),
  windows: z.array(z.object({
    window: z.enum(["1m", "5m", "15m", "60m"]),
    bytes_sent: z.number(),
    bytes_received: z.number(),
    packets_sent: z.number(),
    packets_received: z.number(),
  })),
  minutes: z.object({
    t: z.array(z.number()),
    sent: z.array(z.number()),
    received: z.array(z.number()),
  }),
  peers: z.array(Share3.extend({ address: z.string() })),
  apps: z.array(Share3),
}).openapi("Host");
