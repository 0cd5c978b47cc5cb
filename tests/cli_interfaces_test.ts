// `netwatch interfaces --format json` speaks the API's vocabulary: the fields of /interfaces.

import assert from "node:assert/strict";
import { listInterfaces } from "../capture/interfaces.ts";
import { createApp } from "../server/app.ts";
import { sampleMonitor } from "./helpers/local_monitor.ts";
import { runCli } from "./helpers/cli.ts";

/** /api/v1/interfaces from an app listing this machine's interfaces. */
async function apiInterfaces(): Promise<Record<string, unknown>[]> {
  const a = createApp({ monitor: sampleMonitor(1_700_000_000), version: "0", listInterfaces });
  try {
    const response = await a.app.request("/api/v1/interfaces");
    assert.equal(response.status, 200);
    return (await response.json()).interfaces;
  } finally {
    a.close();
  }
}

Deno.test("interfaces --format json has the API's fields, is_default included", async () => {
  const result = await runCli(["interfaces", "--format", "json"]);
  assert.equal(result.code, 0, result.stderr);
  const cli: Record<string, unknown>[] = JSON.parse(result.stdout);
  const api = await apiInterfaces();
  assert.ok(cli.length > 0, "no interfaces listed");
  // Interfaces can come and go while other tests make namespaces: compare shapes and the default.
  const keys = (list: Record<string, unknown>[]) => [...new Set(list.flatMap(Object.keys))].sort();
  assert.deepEqual(keys(cli), keys(api));
  assert.ok(keys(cli).includes("is_default"));
  for (const entry of cli) assert.equal(typeof entry.is_default, "boolean", String(entry.name));
  const defaults = (list: Record<string, unknown>[]) =>
    list.filter((i) => i.is_default).map((i) => i.name);
  assert.deepEqual(defaults(cli), defaults(api));
});
