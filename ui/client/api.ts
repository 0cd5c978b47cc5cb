// REST calls to /api/v1: JSON in, typed results out; a 401 raises the token prompt.
//
// The browser sends the login cookie by itself (same origin), so no token is handled here.

import type { ErrorBody } from "../../server/wire.ts";
import { apiAnswers, authRequired } from "./store.ts";

/** A non-2xx answer, with the API's error code and message. */
export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }

  /**
   * The query parameter a "bad_parameter" answer names, or null: its message opens with it
   * (`Invalid host "x": expected ...`, server/errors.ts badParameter()).
   */
  get parameter(): string | null {
    if (this.code !== "bad_parameter") return null;
    return /^Invalid (\w+) /.exec(this.message)?.[1] ?? null;
  }
}

/** GETs `/api/v1/<path>` with `params`; throws ApiRequestError on an error answer. */
export async function apiGet<T>(
  path: string,
  params: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<T> {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(`/api/v1/${path}${query ? `?${query}` : ""}`, {
    headers: { accept: "application/json" },
    credentials: "same-origin",
    signal,
  });
  if (response.ok) {
    authRequired.value = false;
    apiAnswers.value = true;
    return await response.json() as T;
  }
  const body = await errorBodyOf(response);
  if (response.status === 401) {
    authRequired.value = true;
    apiAnswers.value = false;
  }
  throw new ApiRequestError(
    response.status,
    body?.error?.code ?? "http_error",
    body?.error?.message ?? `${response.status} ${response.statusText}`,
  );
}

/**
 * Logs in with `token` through the server's form route (it sets an HttpOnly cookie that
 * fetch and the WebSocket then carry). Resolves "ok" when the token was accepted, "wrong" when
 * it was not, else the server's own reason (too many tries lately: when to try again).
 */
export async function logIn(token: string): Promise<"ok" | "wrong" | { refused: string }> {
  const response = await fetch("/login", {
    method: "POST",
    body: new URLSearchParams({ token }),
    credentials: "same-origin",
    redirect: "manual",
  });
  // Success is a 303 to "/": with redirect "manual" the browser reports an opaque redirect.
  if (response.type === "opaqueredirect" || (response.status >= 200 && response.status < 400)) {
    return "ok";
  }
  if (response.status === 401) return "wrong";
  const body = await errorBodyOf(response);
  return { refused: body?.error?.message ?? `${response.status} ${response.statusText}` };
}

/** The API's error body of `response`, or undefined when it is not ours (a proxy's page). */
async function errorBodyOf(response: Response): Promise<ErrorBody | undefined> {
  try {
    return await response.json() as ErrorBody;
  } catch {
    return undefined; // the caller falls back to the status text
  }
}
