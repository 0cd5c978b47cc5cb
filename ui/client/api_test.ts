// Tests of what the page reads from the API's error answers.

import assert from "node:assert/strict";
import { badParameter } from "../../server/errors.ts";
import { ApiRequestError } from "./api.ts";

Deno.test("ApiRequestError.parameter names the parameter a bad_parameter answer refused", () => {
  // The server's own message for a bad host, so the two cannot drift apart unnoticed.
  const refused = badParameter("host", "not-an-ip", "expected an IPv4 or IPv6 address or CIDR");
  const error = new ApiRequestError(400, "bad_parameter", refused.message);
  assert.equal(error.parameter, "host");
  assert.equal(new ApiRequestError(400, "bad_parameter", "Invalid request").parameter, null);
  assert.equal(new ApiRequestError(404, "not_found", "Invalid host anyway").parameter, null);
});
