// API errors: HTTPException with a code, and the one handler that turns any error into JSON.

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "./wire.ts";

/** An HTTP error with a stable code; route handlers throw it. */
export class ApiError extends HTTPException {
  readonly code: string;
  /** Headers the answer carries (e.g. Retry-After on a 429). */
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, { message });
    this.code = code;
    this.headers = headers;
  }
}

/** A 400 naming the parameter, quoting (a bounded part of) the value, and saying what is accepted. */
export function badParameter(name: string, value: unknown, expected: string): ApiError {
  return new ApiError(
    400,
    "bad_parameter",
    `Invalid ${name} ${quote(value)}: ${expected}`,
  );
}

/**
 * Characters JSON.stringify leaves as they are that can still disguise a message where it is shown
 * (a log line, a terminal, the dashboard): C1 controls, zero-width and bidi controls, line and
 * paragraph separators, the byte-order mark.
 */
const DISGUISING = /[\u0080-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A value quoted for an error message, cut to 80 characters; controls and invisible characters
 * are written as \uXXXX escapes, so a message shows the value as sent, not as it would render.
 */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)
    .replace(DISGUISING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "too_many",
  503: "unavailable",
};

/** JSON body of an error. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * The app's onError: ApiError and HTTPException keep their status; anything else is logged
 * (message only: requests may carry a token) and answered 500.
 */
export function onError(error: Error, c: Context): Response {
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code = error instanceof ApiError ? error.code : CODES[status] ?? "error";
    const headers: Record<string, string> = error instanceof ApiError ? { ...error.headers } : {};
    if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="netwatch"';
    return c.json(errorBody(code, error.message || code), status, headers);
  }
  console.error(`netwatch: ${c.req.method} ${c.req.path} failed: ${error.stack ?? error}`);
  return c.json(errorBody("internal", "Internal error"), 500);
}

/** The app's notFound: 404 in the error shape. */
export function onNotFound(c: Context): Response {
  return c.json(
    errorBody("not_found", `No route ${c.req.method} ${c.req.path.slice(0, 200)}`),
    404,
  );
}

/**
 * A notFound handler that answers 405 (with Allow) for a path that exists under another method,
 * and 404 otherwise. `getOnly`: the paths (Hono patterns, ":name" for a segment) served to GET.
 */
export function notFoundOrWrongMethod(getOnly: readonly string[]) {
  const patterns = getOnly.map((path) =>
    new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/:\w+/g, "[^/]+")}$`)
  );
  return function notFound(c: Context): Response {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD" && patterns.some((p) => p.test(c.req.path))) {
      return c.json(
        errorBody("method_not_allowed", `${method} is not served at ${c.req.path}: use GET`),
        405,
        { Allow: "GET, HEAD" },
      );
    }
    return onNotFound(c);
  };
}
