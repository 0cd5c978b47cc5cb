// Token auth: bearer header, WebSocket subprotocol or login cookie, compared in constant time.
//
// The token is never logged or echoed: errors say what to send, not what was sent.

import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

/** Name of the cookie the login form sets. */
export const TOKEN_COOKIE = "netwatch_token";
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

/** The token a request presents, by header, subprotocol or cookie; undefined if none. */
export function presentedToken(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match ? match[1] : "";
  }
  const carried = offeredProtocols(headers).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (carried) return decodeBase64Url(carried.slice(TOKEN_PROTOCOL_PREFIX.length));
  const cookie = headers.get("cookie");
  if (cookie) {
    for (const part of cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
        try {
          return decodeURIComponent(part.slice(eq + 1).trim());
        } catch {
          return "";
        }
      }
    }
  }
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

/** Middleware that lets a request through only with `token` (none: everyone). */
export function requireToken(token: string | undefined): MiddlewareHandler {
  return async function checkToken(c, next) {
    if (token !== undefined && !tokenMatches(token, presentedToken(c.req.raw.headers))) {
      throw new ApiError(
        401,
        "unauthorized",
        "A token is required: send Authorization: Bearer <token>, log in at /, " +
          `or (WebSocket) offer subprotocols ${STREAM_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}<base64url token>`,
      );
    }
    await next();
  };
}

/** The Set-Cookie value that logs a browser in for a day. */
export function loginCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; ` +
    `Max-Age=86400${secure ? "; Secure" : ""}`;
}
