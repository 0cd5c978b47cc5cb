// What the HTTP adapter (server/serve.ts) hands the app with each request, as Hono's `c.env`.
//
// In-process callers (tests, benches) call app.fetch(request) without it: then no client address
// is known and WebSocket upgrades are refused.

import type { StreamSocket } from "./stream_hub.ts";

/** A WebSocket as the stream sees it: the hub's socket plus message and close events. */
export interface UpgradedSocket extends StreamSocket {
  onMessage(listener: (data: string | Uint8Array) => void): void;
  onClose(listener: () => void): void;
}

/** Present on an upgrade request: the stream handler claims it to accept the WebSocket. */
export interface UpgradeSlot {
  /** Accepts the upgrade with `protocol` selected; `opened` gets the socket once it is open. */
  accept(protocol: string | undefined, opened: (socket: UpgradedSocket) => void): void;
  readonly claimed: boolean;
}

/** Per-request facts only the connection knows. */
export interface ServerEnv {
  /** The TCP peer's address, for per-client limits (undefined in process). */
  remoteAddress?: string;
  upgrade?: UpgradeSlot;
}

/** The env of a Hono context, whatever the app was called with. */
export function serverEnv(env: unknown): ServerEnv {
  return typeof env === "object" && env !== null ? env as ServerEnv : {};
}
