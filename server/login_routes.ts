// POST /login and POST /logout: the dashboard's form login opens a session (a random id in an
// HttpOnly cookie, never the token), and logout ends it and clears the cookie.

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { clientAddress, throttled, tokenMatches } from "./auth.ts";
import { ApiError } from "./errors.ts";
import type { LoginThrottle } from "./login_throttle.ts";
import { loginRoute, logoutRoute } from "./routes.ts";
import { clearedCookie, presentedSession, sessionCookie, type SessionStore } from "./sessions.ts";

/** What the login routes need. */
export interface LoginOptions {
  token: string | undefined;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** Called for each wrong token (counted in /metrics). */
  onFailure(): void;
  /** Whether the cookie gets Secure, for this request. */
  secure(c: Context): boolean;
}

/** Adds /login and /logout to `app`. */
export function mountLogin(app: OpenAPIHono, options: LoginOptions): void {
  const { token, sessions, throttle } = options;
  app.use(
    loginRoute.path,
    bodyLimit({
      maxSize: 4096,
      onError: () => {
        throw new ApiError(413, "too_large", "Login form larger than 4096 bytes");
      },
    }),
  );
  app.openapi(loginRoute, (c) => {
    if (token === undefined) return c.redirect("/", 303);
    const address = clientAddress(c);
    const wait = throttle.retryAfter(address);
    if (wait > 0) throw throttled(wait);
    if (!tokenMatches(token, c.req.valid("form").token)) {
      throttle.failed(address);
      options.onFailure();
      throw new ApiError(401, "unauthorized", "Wrong token");
    }
    // A new session on every login: an id fixed before login is never reused.
    sessions.close(presentedSession(c.req.raw.headers));
    c.header("Set-Cookie", sessionCookie(sessions.open(token), options.secure(c)));
    return c.redirect("/", 303);
  });
  app.openapi(logoutRoute, (c) => {
    sessions.close(presentedSession(c.req.raw.headers));
    c.header("Set-Cookie", clearedCookie(options.secure(c)));
    return c.redirect("/", 303);
  });
}
