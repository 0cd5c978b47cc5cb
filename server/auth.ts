// Token auth: bearer header, WebSocket subprotocol or login session, compared in constant time.
//
// The token is never logged or echoed: errors say what to send, not what was sent.

import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import type { LoginThrottle } from "./login_throttle.ts";
import { serverEnv } from "./server_env.ts";
import { presentedSession, sessionCookie, type SessionStore } from "./sessions.ts";

/** Subprotocol a WebSocket client offers (with the token one) and the server selects. */
export const STREAM_PROTOCOL = "netwatch.v1";
/** Prefix of the subprotocol carrying the token, base64url-encoded: "netwatch.token.<b64url>". */
export const TOKEN_PROTOCOL_PREFIX = "netwatch.token.";

/**
 * True when `given` equals `expected`. Both are hashed first, so the comparison takes the same
 * time whatever the lengths and wherever they differ.
 */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/** The subprotocol value that carries `token` (what a browser passes to new WebSocket()). */
export function tokenProtocol(token: string): string {
  return TOKEN_PROTOCOL_PREFIX + btoa(String.fromCharCode(...new TextEncoder().encode(token)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Subprotocols offered in a request. */
export function offeredProtocols(headers: Headers): string[] {
  const header = headers.get("sec-websocket-protocol");
  return header ? header.split(",").map((p) => p.trim()).filter(Boolean) : [];
}

/** The token a request presents, by header or subprotocol; undefined if none. */
export function presentedToken(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match ? match[1] : "";
  }
  const carried = offeredProtocols(headers).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (carried) return decodeBase64Url(carried.slice(TOKEN_PROTOCOL_PREFIX.length));
  return undefined;
}

function decodeBase64Url(text: string): string {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    return "";
  }
}

/** What the token check needs besides the token. */
export interface AuthOptions {
  /** The token (undefined: no auth at all). */
  token: string | undefined;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** Called for every wrong token presented (counted in /metrics). */
  onFailure(): void;
  /** Whether a re-issued cookie gets Secure, for this request. */
  secure(c: Context): boolean;
}

/** The client address the throttle keys on ("local" in process). */
export function clientAddress(c: Context): string {
  return serverEnv(c.env).remoteAddress ?? "local";
}

/** 429 for an address that got too many tokens wrong lately. */
export function throttled(retryAfterSec: number): ApiError {
  return new ApiError(
    429,
    "too_many_attempts",
    `Too many wrong tokens from this address: try again in ${retryAfterSec} s`,
    { "Retry-After": String(retryAfterSec) },
  );
}

/**
 * Middleware that lets a request through only with the token (by bearer header or WebSocket
 * subprotocol) or a live session cookie. A presented token decides alone, after the throttle;
 * a stale session cookie is a 401 but not a guess (it may predate a restart).
 */
export function requireToken(options: AuthOptions): MiddlewareHandler {
  const { token, sessions, throttle } = options;
  return async function checkToken(c, next) {
    if (token === undefined) return await next();
    const headers = c.req.raw.headers;
    const given = presentedToken(headers);
    if (given !== undefined) {
      const address = clientAddress(c);
      const wait = throttle.retryAfter(address);
      if (wait > 0) throw throttled(wait);
      if (tokenMatches(token, given)) return await next();
      throttle.failed(address);
      options.onFailure();
      throw unauthorized();
    }
    const check = sessions.check(presentedSession(headers), token);
    if (!check.valid) throw unauthorized();
    await next();
    if (check.rotated) {
      c.res.headers.append("Set-Cookie", sessionCookie(check.rotated, options.secure(c)));
    }
  };
}

function unauthorized(): ApiError {
  return new ApiError(
    401,
    "unauthorized",
    "The token was missing or wrong (one answer for both): send Authorization: Bearer " +
      "<token>, log in at /, " +
      `or (WebSocket) offer subprotocols ${STREAM_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}<base64url token>`,
  );
}
