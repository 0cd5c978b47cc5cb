// The name and app filters of /flows hold for flows read back from disk (history), as they do for
// flows still in memory.

import assert from "node:assert/strict";
import { startServer } from "./helpers/serve.ts";
import { writeNamedHttp } from "./helpers/named_http.ts";

const NAMES = ["a.example", "www.a.example", "b.example", "plain.example"];

interface Flow {
  server_name: string | null;
  app: string | null;
}

Deno.test("name and app filters apply to flows stored on disk after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "netwatch-history-filters-" });
  const file = `${dir}/names.pcap`;
  writeNamedHttp(file, NAMES);
  try {
    // The first run ends every flow into history; the second serves them from disk as well.
    const first = await startServer(file, [], { dataDir: `${dir}/data` });
    assert.equal(await first.stop(), 0);
    const server = await startServer(file, [], { dataDir: `${dir}/data` });
    try {
      const flows = async (query: string): Promise<Flow[]> => {
        const response = await fetch(`${server.base}/api/v1/flows?limit=1000&${query}`);
        assert.equal(response.status, 200, query);
        return (await response.json()).flows;
      };
      const all = await flows("");
      const stored = all.filter((f) => f.server_name === "plain.example").length;
      assert.ok(stored >= 2, `expected plain.example from disk and from memory: ${stored}`);

      const plain = await flows("name=plain.example");
      assert.equal(plain.length, stored, JSON.stringify(plain.map((f) => f.server_name)));
      const below = (await flows("name=*.a.example")).map((f) => f.server_name).sort();
      assert.deepEqual(new Set(below), new Set(["a.example", "www.a.example"]));
      assert.equal(below.length, 2 * stored);
      assert.deepEqual(await flows("name=nothing.example"), []);

      const http = await flows("app=HTTP");
      assert.ok(http.length >= NAMES.length * 2, `${http.length} HTTP flows`);
      assert.ok(http.every((f) => f.app?.split(".").includes("HTTP")), JSON.stringify(http));
      assert.deepEqual(await flows("app=NoSuchApp"), []);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
