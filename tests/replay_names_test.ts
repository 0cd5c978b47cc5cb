// A paced replay (--speed N) reads one packet at a time, so the reader's memory holds only the
// latest packet: the names and apps the engine reads from payloads must still come through, the
// same as `report` finds them in the whole file.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { startServer } from "./helpers/serve.ts";

/** TLS to many servers over 146 s: at 50x, about 3 s of replay. */
const FILE = corpusPath("real/pcapplusplus_tls2.pcap");

interface Named {
  server_name: string | null;
  app: string | null;
}

function namesOf(flows: Named[]): string[] {
  return [...new Set(flows.map((f) => `${f.server_name} ${f.app}`))].sort();
}

Deno.test("serve --speed 50 names flows and apps as report does on the same file", async () => {
  const report = await runCli(["report", FILE, "--flows", "--format", "json"]);
  assert.equal(report.code, 0, report.stderr);
  const want = namesOf(JSON.parse(report.stdout).flows);
  assert.ok(want.filter((n) => !n.startsWith("null")).length >= 20, want.join("\n"));
  const server = await startServer(FILE, ["--no-history"], { speed: 50 });
  try {
    const page = await (await fetch(`${server.base}/api/v1/flows?limit=1000`)).json();
    assert.deepEqual(namesOf(page.flows), want);
    // /stats says what the name table holds, and that it dropped nothing on a small capture.
    const stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
    const distinct = new Set(page.flows.map((f: Named) => f.server_name).filter(Boolean)).size;
    assert.ok(stats.identity.names >= distinct, JSON.stringify(stats.identity));
    assert.equal(stats.identity.name_drops, 0);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
