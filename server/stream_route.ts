// GET /api/v1/stream: claims the adapter's WebSocket upgrade and hands the socket to the hub.

import type { Context } from "hono";
import { offeredProtocols, STREAM_PROTOCOL } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { serverEnv } from "./server_env.ts";
import type { StreamHub } from "./stream_hub.ts";

/** The handler of the stream route (auth, Host and Origin checks have run before it). */
export function streamHandler(hub: StreamHub) {
  return function upgradeStream(c: Context): Response {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(
        426,
        "upgrade_required",
        "This route speaks WebSocket: send Upgrade: websocket",
      );
    }
    const slot = serverEnv(c.env).upgrade;
    if (!slot) {
      throw new ApiError(400, "bad_upgrade", "Cannot upgrade to WebSocket on this connection");
    }
    if (!hub.admit()) {
      throw new ApiError(
        503,
        "too_many_connections",
        `At most ${hub.limits.maxConnections} stream connections; try again later`,
      );
    }
    // Select our protocol when offered; never echo the one carrying the token.
    const protocol = offeredProtocols(c.req.raw.headers).includes(STREAM_PROTOCOL)
      ? STREAM_PROTOCOL
      : undefined;
    slot.accept(protocol, (socket) => {
      const connection = hub.open(socket);
      socket.onMessage((data) => hub.message(connection, data));
      socket.onClose(() => hub.close(connection));
    });
    // The adapter answers 101 itself once it sees the slot claimed.
    return c.body(null, 200);
  };
}
