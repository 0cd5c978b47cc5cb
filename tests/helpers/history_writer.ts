// A process that writes history through the worker until it is killed: for the crash tests.
//
// Usage: deno run -A history_writer.ts DATA_DIR. Every 20 ms it writes one generated minute
// (totals, hosts and flows) and prints "posted <minute>"; when the worker has committed all of
// a minute's items it prints "durable <minute>". On SIGTERM it closes the client (which commits
// and checkpoints), prints "closed" and exits 0, as `serve` should.

import { generateMonth } from "../../bench/history_month.ts";
import { HistoryClient } from "../../history/history_client.ts";

const [dir] = Deno.args;
const client = await HistoryClient.open({ path: `${dir}/netwatch.db`, capBytes: 64 << 20 });
if (client.status().state !== "ok") {
  console.log(`failed ${client.status().error}`);
  Deno.exit(1);
}
/** [minute, items posted up to and including it], in order. */
const posted: [number, number][] = [];
let durable = -1;
const month = generateMonth({
  start: 1_700_002_800,
  minutes: 100_000,
  flowsPerMinute: 20,
  topN: 5,
});

const writing = setInterval(() => {
  const { value } = month.next();
  if (!value) return;
  client.writer.minute(value.totals, value.hosts);
  client.writer.flows(value.flows);
  posted.push([value.totals.minute, client.writer.stats.posted]);
  console.log(`posted ${value.totals.minute}`);
}, 20);

const watching = setInterval(() => {
  const { posted: sent, queued } = client.writer.stats;
  const committed = sent - queued;
  while (durable + 1 < posted.length && posted[durable + 1][1] <= committed) {
    durable++;
    console.log(`durable ${posted[durable][0]}`);
  }
}, 10);

Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(writing);
  clearInterval(watching);
  await client.close();
  console.log("closed");
  Deno.exit(0);
});
