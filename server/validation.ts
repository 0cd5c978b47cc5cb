// Turns a failed zod validation into a 400 that names the parameter, its value and what it accepts.

import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { ApiError, badParameter, quote } from "./errors.ts";

/** The 400 for the first issue of `error`; `valueOf` looks a parameter's raw value up. */
export function validationError(
  error: z.ZodError,
  valueOf: (name: string) => unknown,
  accepted?: readonly string[],
): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, "bad_parameter", "Invalid request");
  if (issue.code === "unrecognized_keys") {
    const names = accepted?.length ? accepted.join(", ") : "none";
    return new ApiError(
      400,
      "bad_parameter",
      `Unknown parameter ${quote(issue.keys[0])}: accepted ${names}`,
    );
  }
  const name = issue.path.length > 0 ? String(issue.path[0]) : "request";
  const value = issue.path.length > 0 ? valueOf(name) : undefined;
  if (Array.isArray(value)) {
    return badParameter(name, value.join(","), "give this parameter once");
  }
  return badParameter(name, value ?? "", issue.message);
}

/**
 * The OpenAPIHono defaultHook: throws the 400 for a request that failed validation.
 * `accepted` gives each route path's parameter names, for the message about an unknown one.
 */
export function validationHook(accepted: Record<string, readonly string[]>) {
  return function throwValidationError(
    result: { success: true } | { success: false; error: z.ZodError },
    c: Context,
  ): void {
    if (result.success) return;
    throw validationError(result.error, (name) => {
      const all = c.req.queries(name);
      if (all && all.length > 1) return all;
      return all?.[0] ?? c.req.param(name);
    }, accepted[c.req.routePath]);
  };
}
