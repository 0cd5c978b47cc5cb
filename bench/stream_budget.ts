// Measures /health latency while one WebSocket holds 32 expensive flows subscriptions on a
// 200k-flow replay (issue 18, point 3): the figure RELIABILITY.md quotes.
//
//   deno run --allow-all bench/stream_budget.ts [SECONDS]
//
// Prints /health latency (median, p99, worst) and the updates each subscription got.

import { startServer } from "../tests/helpers/serve.ts";
import { generateCapture } from "./generate_capture.ts";

const SECONDS = Number(Deno.args[0] ?? 10);
const SUBSCRIPTIONS = 32;
const INTERVAL_MS = 100;

const dir = await Deno.makeTempDir();
const path = `${dir}/200k.pcap`;
generateCapture(path, { packets: 200_000, flows: 200_000, seed: 18 });
const server = await startServer(path);
try {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/stream`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("stream did not open"));
  });
  const updates = new Map<string, number>();
  let throttled = 0;
  ws.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type !== "data") return;
    updates.set(m.id, (updates.get(m.id) ?? 0) + 1);
    if (m.throttled) throttled++;
  };
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    ws.send(JSON.stringify({
      op: "subscribe",
      id: `f${i}`,
      topic: "flows",
      interval_ms: INTERVAL_MS,
      params: { offset: 50_000 + i * 1000, limit: 100, q: "10.", sort: "rate" },
    }));
  }
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const started = performance.now();
    const response = await fetch(`${server.base}/api/v1/health`);
    await response.body?.cancel();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  ws.close();
  const stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const counts = [...updates.values()];
  console.log(
    `/health over ${SECONDS} s with ${SUBSCRIPTIONS} flows subscriptions at ${INTERVAL_MS} ms ` +
      `on ${stats.flows.active + stats.flows.history} flows: ${latencies.length} requests, ` +
      `median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, ` +
      `worst ${latencies.at(-1)!.toFixed(1)} ms`,
  );
  console.log(
    `updates: ${counts.reduce((a, b) => a + b, 0)} in all (asked: ` +
      `${SUBSCRIPTIONS * SECONDS * 1000 / INTERVAL_MS}), per subscription ` +
      `${Math.min(...counts)} to ${Math.max(...counts)}, ${throttled} marked throttled; ` +
      `stream stats ${JSON.stringify(stats.stream)}`,
  );
} finally {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}
