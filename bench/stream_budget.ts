// Measures /health latency while one WebSocket holds 32 expensive flows subscriptions on a
// 200k-flow replay (issue 18, point 3): the figure RELIABILITY.md quotes.
//
//   deno run --allow-all bench/stream_budget.ts [SECONDS]
//
// Prints /health latency (median, p99, worst) and the updates each subscription got.

import {
  GREEDY_INTERVAL_MS as INTERVAL_MS,
  GREEDY_SUBSCRIPTIONS as SUBSCRIPTIONS,
  startGreedyStream,
} from "../tests/helpers/greedy_stream.ts";

const SECONDS = Number(Deno.args[0] ?? 10);

const updates = new Map<string, number>();
let throttled = 0;
const { server, ws, stop } = await startGreedyStream((m) => {
  updates.set(m.id, (updates.get(m.id) ?? 0) + 1);
  if (m.throttled) throttled++;
});
try {
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
  await stop();
}
