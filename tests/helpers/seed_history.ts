// Writes generated history (bench/history_month.ts) into a data directory before `serve` starts
// on it, so ranges older than the process are answered from disk, as after days of running.

import { generateMonth } from "../../bench/history_month.ts";
import { HistoryClient } from "../../history/history_client.ts";

/**
 * Fills `dir`/netwatch.db with `days` of minutes (totals, host rows, a few flows each) ending
 * `gapMinutes` before now, and closes it. Throws when the store does not open.
 */
export async function seedHistory(dir: string, days: number, gapMinutes = 120): Promise<void> {
  const client = await HistoryClient.open({
    path: `${dir}/netwatch.db`,
    capBytes: 64 << 20,
    warn: () => {},
  });
  if (client.status().state !== "ok") {
    throw new Error(`history did not open in ${dir}: ${client.status().error}`);
  }
  const minutes = days * 1440;
  const start = Math.floor(Date.now() / 1000) - (minutes + gapMinutes) * 60;
  for (const m of generateMonth({ start, minutes, flowsPerMinute: 2, topN: 3 })) {
    client.writer.minute(m.totals, m.hosts);
    for (const flow of m.flows) client.writer.flow(flow);
    client.writer.flushFlows();
  }
  await client.close();
}
