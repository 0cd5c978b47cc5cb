// Names on a live interface with the default options: QUIC Initials and ClientHellos replayed
// across a veth must name their flows as reading the same captures does. A header-sized default
// snaplen cut every one of these payloads short and named none of them live.

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { ndpiPath } from "./helpers/corpus.ts";
import { runCli } from "./helpers/cli.ts";
import { createTestLink, requireCommands } from "./helpers/netns.ts";
import { getJsonIn, startServeIn } from "./helpers/live.ts";
import { killAll } from "./helpers/process.ts";
import type { FlowsResponse } from "../server/wire.ts";

const PORT = 7512;

/**
 * Ethernet captures whose names need whole payloads: QUIC v1 and a draft (the Initial is
 * decrypted whole; Chrome's ClientHello spans two Initials), and a ClientHello split over TCP
 * segments.
 */
const CAPTURES = ["quic_0RTT.pcap", "quic_t51.pcap", "quic-mvfst-22.pcap", "tls_2_reasms_b.pcapng"]
  .map((name) => ndpiPath(`pcap/${name}`));

/** The server names `report --flows` finds in `file`, with their apps. */
async function namesInFile(file: string): Promise<string[]> {
  const out = await runCli(["report", file, "--flows", "--format", "json"]);
  assert.equal(out.code, 0, out.stderr);
  const flows = JSON.parse(out.stdout).flows as FlowsResponse["flows"];
  return flows.filter((f) => f.server_name).map((f) => `${f.server_name} ${f.app}`);
}

Deno.test({
  name: "live capture with default options names QUIC and split TLS flows as the files do",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "tcpreplay", "curl"]);
    const expected = (await Promise.all(CAPTURES.map(namesInFile))).flat().sort();
    assert.ok(expected.length >= CAPTURES.length, `names in the files: ${expected}`);
    const link = await createTestLink();
    const children: Deno.ChildProcess[] = [];
    try {
      const { child } = await startServeIn(link, link.b, PORT, ["--no-history"]);
      children.push(child);
      await sleep(300);
      for (const file of CAPTURES) {
        await link.run(link.a, ["tcpreplay", "-q", "-i", link.a.dev, "--topspeed", file]);
      }
      await sleep(1500); // the capture's flush and the monitor's one-second tick
      const page = await getJsonIn<FlowsResponse>(link, link.b, PORT, "/api/v1/flows?limit=1000");
      const live = page.flows.filter((f) => f.server_name).map((f) => `${f.server_name} ${f.app}`);
      assert.deepEqual(live.sort(), expected);
    } finally {
      killAll(children);
      await Promise.all(children.map((c) => c.status));
      await link.destroy();
    }
  },
});
