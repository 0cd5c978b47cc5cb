// ClickHouse export against Debian's clickhouse-server (18.16) started here: rows per
// conversation equal report --flows, two agents share one database, the per-minute rollup
// adds up, retention drops old days, and the sink rides out the server going away.

import assert from "node:assert/strict";
import type { FlowRecord } from "../flows/flow_record.ts";
import { runCli } from "./helpers/cli.ts";
import {
  CLICKHOUSE_PASSWORD,
  CLICKHOUSE_USER,
  startClickHouse,
  storedSums,
} from "./helpers/clickhouse.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { diffSums, recordSums } from "./helpers/conversations.ts";
import { type ServeProcess, startServer } from "./helpers/serve.ts";

async function reportFlows(path: string): Promise<{ packets: number; flows: FlowRecord[] }> {
  const result = await runCli(["report", path, "--flows", "--format", "json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

async function json(server: ServeProcess, path: string) {
  const answer = await fetch(`${server.base}${path}`);
  return path === "/metrics" ? answer.text() : answer.json();
}

Deno.test("ClickHouse holds what report --flows counts, from three agents in one database", async () => {
  const ch = await startClickHouse();
  const dir = await Deno.makeTempDir();
  try {
    const passwordFile = `${dir}/password`;
    await Deno.writeTextFile(passwordFile, `${CLICKHOUSE_PASSWORD}\n`);
    const base = `clickhouse+http://${CLICKHOUSE_USER}@127.0.0.1:${ch.port}/nwtest`;
    const agents = [
      // The password from --export-password-file, and from the URL's password_file=.
      {
        name: "agent-a",
        file: "zeek_wikipedia.pcap",
        extra: ["--export", `${base}?exporter=agent-a`, "--export-password-file", passwordFile],
      },
      {
        name: "agent-b",
        file: "zeek_http-qinq-0.pcap",
        extra: ["--export", `${base}?exporter=agent-b&password_file=${passwordFile}`],
      },
      {
        name: "agent-c",
        file: "zeek_communityid_icmp6.pcap",
        extra: [
          "--export",
          `clickhouse+http://${CLICKHOUSE_USER}:${CLICKHOUSE_PASSWORD}@127.0.0.1:${ch.port}` +
          `/nwtest?exporter=agent-c`,
        ],
      },
    ];
    for (const agent of agents) {
      const path = corpusPath(`real/${agent.file}`);
      const server = await startServer(path, agent.extra);
      const stats = await json(server, "/api/v1/stats");
      assert.equal(stats.export.length, 1);
      assert.equal(stats.export[0].kind, "clickhouse");
      assert.doesNotMatch(stats.export[0].destination, new RegExp(CLICKHOUSE_PASSWORD));
      assert.match(await json(server, "/metrics"), /netwatch_export_sent_records_total\{/);
      const code = await server.stop();
      assert.equal(code, 0, server.output().stderr);
      assert.doesNotMatch(server.output().stderr, /dropped|not delivered/);
      const expected = recordSums((await reportFlows(path)).flows);
      const differences = diffSums(
        expected,
        await storedSums(ch, `nwtest.flows WHERE exporter = '${agent.name}'`),
      );
      assert.deepEqual(differences, [], `${agent.file}:\n${differences.slice(0, 20).join("\n")}`);
    }
    // The rollup holds the same totals per exporter (SummingMergeTree: summed at query time).
    const totals = (table: string, flows: string) =>
      ch.query(
        `SELECT exporter, ${flows} AS n, sum(packets_c2s + packets_s2c) AS p,
           sum(bytes_c2s + bytes_s2c) AS b FROM nwtest.${table} GROUP BY exporter
         ORDER BY exporter FORMAT TabSeparated`,
      );
    const raw = await totals("flows", "count()");
    assert.equal(raw.trim().split("\n").length, 3, raw);
    assert.equal(await totals("flows_1m", "sum(flows)"), raw);
    // Records carry the export fields beside the API's.
    const reasons = await ch.query(
      "SELECT DISTINCT end_reason FROM nwtest.flows ORDER BY end_reason FORMAT TabSeparated",
    );
    assert.ok(reasons.includes("forced"), reasons);
    const v6 = await ch.query(
      "SELECT count() FROM nwtest.flows WHERE exporter = 'agent-c' AND ip_version = 6",
    );
    assert.ok(Number(v6) > 0);
  } finally {
    await ch.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ClickHouse retention drops whole days older than --export-retention", async () => {
  const ch = await startClickHouse();
  try {
    const url = `clickhouse+http://${CLICKHOUSE_USER}:${CLICKHOUSE_PASSWORD}@127.0.0.1:${ch.port}` +
      `/nwold?exporter=agent-r`;
    // First run creates the schema; then rows from 10 and 2 days ago are added by hand.
    let server = await startServer(corpusPath("real/zeek_wikipedia.pcap"), ["--export", url]);
    await server.stop();
    const day = (ago: number) => new Date(Date.now() - ago * 86400_000).toISOString().slice(0, 10);
    for (const ago of [10, 2]) {
      await ch.query(
        `INSERT INTO nwold.flows (date, time, exporter, id, proto, src_ip, dst_ip, first_ts, ` +
          `last_ts, state, end_reason, ip_version) VALUES ('${day(ago)}', ` +
          `toDateTime('${day(ago)} 12:00:00'), 'old', 1, 'udp', '10.0.0.1', '10.0.0.2', 0, 0, ` +
          `'S0', 'idle', 4)`,
      );
    }
    const days = async () =>
      (await ch.query(
        "SELECT DISTINCT partition FROM system.parts WHERE database = 'nwold' AND " +
          "table = 'flows' AND active ORDER BY partition FORMAT TabSeparated",
      )).trim().split("\n");
    const compact = (ago: number) => day(ago).replaceAll("-", "");
    assert.deepEqual(await days(), [compact(10), compact(2), compact(0)]);
    server = await startServer(corpusPath("real/zeek_wikipedia.pcap"), [
      "--export",
      url,
      "--export-retention",
      "3",
    ]);
    await server.stop();
    assert.deepEqual(await days(), [compact(2), compact(0)], "the day 10 days ago is gone");
  } finally {
    await ch.destroy();
  }
});
