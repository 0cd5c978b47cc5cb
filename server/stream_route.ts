// GET /api/v1/stream: upgrades to a WebSocket (Deno's native one) and hands it to the hub.

import type { Context } from "hono";
import { offeredProtocols, STREAM_PROTOCOL } from "./auth.ts";
import { ApiError } from "./errors.ts";
import type { StreamHub } from "./stream_hub.ts";

/** Seconds without a pong to the server's pings before a connection is deemed dead. */
export const DEFAULT_IDLE_TIMEOUT_SEC = 30;

/** The handler of the stream route (auth has run before it). */
export function streamHandler(hub: StreamHub, idleTimeoutSec = DEFAULT_IDLE_TIMEOUT_SEC) {
  return function upgradeStream(c: Context): Response {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(
        426,
        "upgrade_required",
        "This route speaks WebSocket: send Upgrade: websocket",
      );
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
    let upgrade: Deno.WebSocketUpgrade;
    try {
      upgrade = Deno.upgradeWebSocket(c.req.raw, { protocol, idleTimeout: idleTimeoutSec });
    } catch (error) {
      throw new ApiError(
        400,
        "bad_upgrade",
        `Cannot upgrade to WebSocket: ${(error as Error).message}`,
      );
    }
    const { socket, response } = upgrade;
    const connection = hub.open(socket);
    socket.onmessage = (event) => hub.message(connection, event.data);
    socket.onclose = () => hub.close(connection);
    socket.onerror = () => hub.close(connection);
    return response;
  };
}
