// The server stage: the Hono app over a monitor, its Deno adapter, and the wire types.

export { type AppOptions, createApp, type MemoryReader, type NetwatchApp } from "./app.ts";
export { type CaptureState, Monitor } from "./monitor.ts";
export type { InterfaceLister, MonitorLike } from "./monitor_like.ts";
export { type RunningServer, serveApp } from "./serve.ts";
export { DEFAULT_STREAM_LIMITS, type StreamLimits } from "./stream_hub.ts";
export type * from "./wire.ts";
