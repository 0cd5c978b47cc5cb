// Parses WebSocket client messages and topic parameters with the same schemas as the REST routes.

import { LIMITS, TOPICS } from "./vocabulary.ts";
import { z } from "@hono/zod-openapi";
import { emptyQuery, flowsTopicParams, protocolsQuery, talkersQuery } from "./schemas.ts";
import { validationError } from "./validation.ts";
import type { Topic } from "./wire.ts";

/** Every topic, in the order the docs list them. */
export { TOPICS };
/** Shortest and longest update interval, and the default. */
export const MIN_INTERVAL_MS = LIMITS.intervalMinMs;
export const MAX_INTERVAL_MS = LIMITS.intervalMaxMs;
export const DEFAULT_INTERVAL_MS = LIMITS.intervalDefaultMs;

const id = z.string("expected a string of 1-64 characters")
  .min(1, "expected a string of 1-64 characters").max(64, "expected a string of 1-64 characters");

const clientMessage = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("subscribe"),
    id,
    topic: z.enum(TOPICS, `expected one of ${TOPICS.join(", ")}`),
    interval_ms: z.number(`expected a whole number from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`)
      .int(`expected a whole number from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`)
      .min(MIN_INTERVAL_MS, `expected a whole number from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`)
      .max(MAX_INTERVAL_MS, `expected a whole number from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`)
      .optional(),
    params: z.record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean()], "expected a string, number or boolean"),
      "expected an object of parameters",
    ).optional(),
  }).strict(),
  z.object({ op: z.literal("unsubscribe"), id }).strict(),
  z.object({ op: z.literal("ping") }).strict(),
], "expected op subscribe, unsubscribe or ping");

/** A request, parsed and checked; `params` already validated for its topic. */
export type Request =
  | { op: "subscribe"; id: string; topic: Topic; intervalMs: number; params: unknown; key: string }
  | { op: "unsubscribe"; id: string }
  | { op: "ping" };

/** Why a message was refused: sent back as an error message. */
export class StreamRequestError extends Error {
  constructor(readonly code: string, message: string, readonly id?: string) {
    super(message);
  }
}

const TOPIC_PARAMS: Record<Topic, z.ZodObject> = {
  rates: emptyQuery,
  stats: emptyQuery,
  protocols: protocolsQuery,
  talkers: talkersQuery,
  flows: flowsTopicParams,
};

/** Parses one text message; throws StreamRequestError on anything it cannot accept. */
export function parseRequest(text: string): Request {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StreamRequestError("bad_message", "Invalid JSON: expected one JSON object");
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    const known = typeof json === "object" && json !== null ? json as Record<string, unknown> : {};
    const e = validationError(parsed.error, (name) => known[name]);
    throw new StreamRequestError(
      "bad_message",
      e.message,
      typeof known.id === "string" ? known.id.slice(0, 64) : undefined,
    );
  }
  const message = parsed.data;
  if (message.op !== "subscribe") return message;
  // Topic params are the REST query parameters: validate them in their string form.
  const raw = Object.fromEntries(
    Object.entries(message.params ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const checked = TOPIC_PARAMS[message.topic].safeParse(raw);
  if (!checked.success) {
    const accepted = Object.keys((TOPIC_PARAMS[message.topic] as z.ZodObject).shape);
    const e = validationError(checked.error, (name) => raw[name], accepted);
    throw new StreamRequestError("bad_parameter", `params: ${e.message}`, message.id);
  }
  const keys = Object.keys(raw).sort();
  return {
    op: "subscribe",
    id: message.id,
    topic: message.topic,
    intervalMs: message.interval_ms ?? DEFAULT_INTERVAL_MS,
    params: checked.data,
    key: message.topic + JSON.stringify(keys.map((k) => [k, raw[k]])),
  };
}
