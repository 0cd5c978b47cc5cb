// ClickHouse goes away in the middle of a replay and comes back: while the queue holds, nothing
// is lost; once it is full, drops are counted; and the capture never waits for export.
//
// The replay runs in real time (--speed 1) with one-second timeouts, so records end and are
// sent all along, and the server is killed (SIGKILL, a crash: a clean 18.16 shutdown keeps
// answering for 15 s) while they flow. Every record has an id, ids are never reused, and every
// record started is exported once (ended or, at shutdown, forced): so distinct ids stored plus
// drops must equal the records started. Delivery is at least once: an insert the server took
// just before it died is sent again, so sums are taken over distinct ids.

import assert from "node:assert/strict";
import { generateCapture } from "../bench/generate_capture.ts";
import { runCli } from "./helpers/cli.ts";
import {
  CLICKHOUSE_PASSWORD,
  CLICKHOUSE_USER,
  startClickHouse,
  storedSums,
} from "./helpers/clickhouse.ts";
import type { ClickHouse } from "./helpers/clickhouse.ts";
import { diffSums, recordSums } from "./helpers/conversations.ts";
import { type ServeProcess, startServe } from "./helpers/serve.ts";

const TIMEOUTS = "tcp=1,tcp-closed=1,udp=1,icmp=1,other=1,active=2";

async function stats(server: ServeProcess) {
  return await (await fetch(`${server.base}/api/v1/stats`)).json();
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows and distinct ids one exporter wrote. */
async function rowCount(ch: ClickHouse, exporter: string): Promise<[number, number]> {
  const text = await ch.query(
    `SELECT count(), uniqExact(id) FROM nwfault.flows WHERE exporter = '${exporter}' ` +
      "FORMAT TabSeparated",
  );
  const [rows, ids] = text.trim().split("\t").map(Number);
  return [rows, ids];
}

/**
 * Replays `capture` in real time to ClickHouse as `exporter`, stops the server once records
 * flow, keeps it down until `downUntil` says so, restarts it, and waits for the replay to end.
 * Returns the stats at the end of the replay and serve's stderr after it stopped.
 */
async function replayThroughOutage(
  ch: ClickHouse,
  capture: string,
  exporter: string,
  query: string,
  downUntil: (s: { export: { queued: number; dropped: number }[] }) => boolean,
) {
  const url = `clickhouse+http://${CLICKHOUSE_USER}:${CLICKHOUSE_PASSWORD}@127.0.0.1:${ch.port}` +
    `/nwfault?exporter=${exporter}${query}`;
  const server = await startServe({
    file: capture,
    speed: 1,
    extra: ["--export", url, "--timeouts", TIMEOUTS],
  });
  try {
    await until("records sent", async () => (await stats(server)).export[0].sent > 0);
    await ch.stop("SIGKILL");
    await until("the sink to notice", async () => {
      const s = (await stats(server)).export[0];
      return s.state === "retrying" && s.queued > 0;
    });
    await until("the outage to last long enough", async () => downUntil(await stats(server)));
    const during = (await stats(server)).capture.state;
    assert.equal(during, "running", "the replay went on while ClickHouse was down");
    await ch.restart();
    await until("the replay to end", async () => (await stats(server)).capture.state === "ended");
    const end = await stats(server);
    const code = await server.stop();
    assert.equal(code, 0, server.output().stderr);
    return { end, stderr: server.output().stderr };
  } finally {
    await server.stop();
  }
}

Deno.test("ClickHouse down mid-replay: nothing lost while the queue holds, drops counted after", async () => {
  const dir = await Deno.makeTempDir();
  const ch = await startClickHouse();
  try {
    // 36,000 packets over 12 seconds among 6,000 flows: records end all through the replay.
    const capture = generateCapture(`${dir}/fault.pcap`, {
      packets: 36_000,
      flows: 6_000,
      rate: 3_000,
    });
    const report = JSON.parse(
      (await runCli(["report", capture.path, "--flows", "--format", "json"])).stdout,
    );
    assert.equal(report.packets, 36_000);

    // 1. The default queue (100,000 records) holds the whole outage: every record arrives.
    const held = await replayThroughOutage(
      ch,
      capture.path,
      "held",
      "",
      (s) => s.export[0].queued > 1000,
    );
    assert.equal(held.end.capture.packets, 36_000, "the capture was complete");
    assert.equal(held.end.export[0].dropped, 0);
    assert.ok(held.end.export[0].failures > 0, "the outage was seen");
    assert.doesNotMatch(held.stderr, /dropped|not delivered/);
    const [rows, ids] = await rowCount(ch, "held");
    assert.equal(ids, held.end.flows.started, "every record started was stored");
    assert.ok(rows - ids < 0.5 * ids, `${rows - ids} rows sent twice: one insert at most`);
    const differences = diffSums(
      recordSums(report.flows),
      await storedSums(ch, "(SELECT * FROM nwfault.flows WHERE exporter = 'held' LIMIT 1 BY id)"),
    );
    assert.deepEqual(differences, [], differences.slice(0, 20).join("\n"));

    // 2. A 500-record queue overflows: what fits arrives, the rest is counted as dropped.
    const full = await replayThroughOutage(
      ch,
      capture.path,
      "overflow",
      "&queue=500",
      (s) => s.export[0].dropped > 500,
    );
    assert.equal(full.end.capture.packets, 36_000, "the capture was complete");
    const dropped = Number(/(\d+) records dropped/.exec(full.stderr)?.[1]);
    assert.ok(dropped > 500, full.stderr);
    const [, kept] = await rowCount(ch, "overflow");
    assert.equal(kept + dropped, full.end.flows.started, "each record: stored or counted");
    assert.ok(kept >= 500, "what the queue held arrived");
  } finally {
    await ch.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});
