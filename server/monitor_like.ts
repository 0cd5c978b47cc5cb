// What the server reads: a monitor (pipeline/monitor.ts, or an in-process one in tests).

import type { InterfaceInfo } from "../capture/interfaces.ts";
export type { MonitorLike } from "../pipeline/monitor.ts";
export type { CaptureFigures } from "../pipeline/protocol.ts";

/** Lists capture interfaces (capture/interfaces.ts listInterfaces, or a fake). */
export type InterfaceLister = () => InterfaceInfo[];
