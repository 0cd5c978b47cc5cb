// Middleware that refuses requests for a foreign Host (DNS rebinding) and browser pages of a
// foreign Origin on the stream and on forms (cross-site WebSocket hijacking, CSRF): 403 in the
// API's error shape, before auth and before any upgrade.

import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import type { HostPolicy } from "./host_policy.ts";

/** Checks Host on every request, and Origin on upgrades and on anything but GET and HEAD. */
export function siteGuard(policy: HostPolicy, onForbidden: () => void): MiddlewareHandler {
  return async function checkSite(c, next) {
    const host = c.req.header("host");
    if (!policy.hostAllowed(host)) {
      onForbidden();
      throw new ApiError(
        403,
        "forbidden_host",
        "The Host header is not one of this server's names: use its address or localhost, " +
          "or start it with --allowed-host NAME",
      );
    }
    const upgrade = c.req.header("upgrade") !== undefined;
    const method = c.req.method;
    if (upgrade || (method !== "GET" && method !== "HEAD")) {
      const origin = c.req.header("origin");
      if (!policy.originAllowed(origin, host)) {
        onForbidden();
        throw new ApiError(
          403,
          "forbidden_origin",
          "Pages of another origin may not use this server: only its own pages " +
            "(or those of an --allowed-host name) may",
        );
      }
    }
    await next();
  };
}
