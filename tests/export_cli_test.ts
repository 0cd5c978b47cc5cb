// What users see from --export: usage errors that name the URL (never the password), a missing
// password file, and a destination that is down while the capture goes on.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { freePort, startServer } from "./helpers/serve.ts";

const SAMPLE = corpusPath("real/zeek_wikipedia.pcap");

Deno.test("a bad --export URL is a usage error naming it, without its password", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--export", "kafka://broker:9092"],
      /Invalid --export "kafka:\/\/broker:9092": unknown scheme/,
    ],
    [["--export", "ipfix://collector:99999"], /"ipfix:\/\/collector:99999": port 99999/],
    [
      ["--export", "clickhouse+http://nw:hunter2@db:8123"],
      /Invalid --export "clickhouse\+http:\/\/nw:\*\*\*@db:8123": no database/,
    ],
    [["--export", "ipfix://c", "--export-retention", "7"], /--export-retention applies to/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(["serve", "--read", SAMPLE, ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /hunter2/);
    assert.match(result.stderr, /^netwatch: .+\nTry "netwatch --help"\.\n$/);
  }
});

Deno.test("a missing ClickHouse password file is named at start", async () => {
  const result = await runCli([
    "serve",
    "--read",
    SAMPLE,
    "--export",
    "clickhouse+http://nw@127.0.0.1:1/netwatch",
    "--export-password-file",
    "/nonexistent/pw",
  ]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^netwatch: Cannot read the ClickHouse password file "\/nonexistent\/pw" \(for clickhouse\+http:\/\/nw@127\.0\.0\.1:1\/netwatch\): .+\n$/,
  );
});

Deno.test("ClickHouse down: one line says so, capture goes on, the loss is told at exit", async () => {
  const port = freePort(); // nothing listens there
  const server = await startServer(SAMPLE, [
    "--export",
    `clickhouse+http://127.0.0.1:${port}/netwatch`,
  ]);
  const deadline = Date.now() + 20_000;
  let stats;
  for (;;) {
    stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
    if (stats.export[0].state === "retrying" && /unreachable/.test(server.output().stderr)) break;
    if (Date.now() > deadline) throw new Error(`no failure reported: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(stats.capture.state, "ended", "the replay finished regardless");
  const report = JSON.parse((await runCli(["report", SAMPLE, "--format", "json"])).stdout);
  assert.equal(stats.capture.packets, report.packets, "every packet was accounted");
  assert.match(stats.export[0].last_error, /ClickHouse at http:\/\/127\.0\.0\.1:\d+\/ unreachable/);
  const metrics = await (await fetch(`${server.base}/metrics`)).text();
  assert.match(
    metrics,
    /netwatch_export_up\{destination="clickhouse\+http:[^"]+",kind="clickhouse"\} 0/,
  );
  const code = await server.stop();
  const { stderr } = server.output();
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /netwatch: export to clickhouse\+http:\/\/127\.0\.0\.1:\d+\/netwatch: ClickHouse at .* unreachable: .*\(retrying with backoff; up to 100000 records wait in the queue\)\n/,
  );
  assert.match(stderr, /netwatch: export to .*: \d+ records not delivered at exit \(ClickHouse at/);
});
