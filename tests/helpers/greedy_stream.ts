// The greedy stream client of issue 18: one WebSocket holding 32 deep, filtered, rate-sorted
// flows subscriptions at 100 ms on a 200k-flow replay. tests/reliability_budget_test.ts
// asserts what the server does under it; bench/stream_budget.ts measures /health under it.

import { generateCapture } from "../../bench/generate_capture.ts";
import type { ServerMessage } from "../../server/wire.ts";
import { type ServeProcess, startServer } from "./serve.ts";

/** How many flows subscriptions the client holds. */
export const GREEDY_SUBSCRIPTIONS = 32;
/** The interval each one asks for. */
export const GREEDY_INTERVAL_MS = 100;

/** A data message of the stream. */
export type DataMessage = Extract<ServerMessage, { type: "data" }>;

/** The server and the greedy client on it. */
export interface GreedyStream {
  server: ServeProcess;
  ws: WebSocket;
  /** Closes the stream, stops the server, removes the capture; resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Serves a 200k-flow replay (until it has ended) and opens the greedy client on it: subscription
 * `f<i>` pages from offset 50,000 + 1000 i with q=10. and sort=rate. Every data message goes to
 * `onData`.
 */
export async function startGreedyStream(
  onData: (message: DataMessage) => void,
): Promise<GreedyStream> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/200k.pcap`;
  let server: ServeProcess | undefined;
  try {
    generateCapture(path, { packets: 200_000, flows: 200_000, seed: 18 });
    server = await startServer(path);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/stream`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("stream did not open"));
    });
    ws.onmessage = (event) => {
      const m = JSON.parse(event.data) as ServerMessage;
      if (m.type === "data") onData(m);
    };
    for (let i = 0; i < GREEDY_SUBSCRIPTIONS; i++) {
      ws.send(JSON.stringify({
        op: "subscribe",
        id: `f${i}`,
        topic: "flows",
        interval_ms: GREEDY_INTERVAL_MS,
        params: { offset: 50_000 + i * 1000, limit: 100, q: "10.", sort: "rate" },
      }));
    }
    const running = server;
    return {
      server: running,
      ws,
      async stop() {
        ws.close();
        try {
          return await running.stop();
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    };
  } catch (error) {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
