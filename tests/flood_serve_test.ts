// `netwatch serve --read FLOOD --speed max`: the API keeps answering while the engine is
// saturated by the worst traffic, and once the replay ends every packet is there and the heavy
// hosts rank right behind the flooded server with their exact bytes. No timing is asserted.

import assert from "node:assert/strict";
import { type FloodCapture, generateFlood } from "../bench/generate_flood.ts";
import type { FlowsResponse, StatsResponse } from "../server/wire.ts";
import { startServe } from "./helpers/serve.ts";

/** Enough packets that a replay at full speed lasts about a second on a busy 2-core machine. */
const PACKETS = 1_000_000;

// deno-lint-ignore no-explicit-any
type Json = any;

async function get(base: string, path: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

/** The requests a dashboard makes, probed in turn while the replay runs. */
const PROBES = ["/api/v1/talkers?window=5m&limit=10", "/api/v1/flows?limit=50", "/api/v1/health"];

Deno.test({
  name: "serve --speed max: the API answers during a flood replay, and every packet counts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    let capture: FloodCapture;
    try {
      capture = generateFlood(path, { packets: PACKETS });
    } catch (error) {
      await Deno.remove(path);
      throw error;
    }
    const server = await startServe({ file: path });
    try {
      const base = server.base;
      // Rounds of /stats then the probes, until /stats has every packet. A round counts as
      // during the replay when the /stats taken after its probes still lacks packets.
      const statuses: number[] = [];
      const seen: number[] = [];
      let during = 0;
      let packets = (await get(base, "/api/v1/stats")).body.capture.packets as number;
      const deadline = Date.now() + 120_000;
      while (packets < capture.packets) {
        assert.ok(Date.now() < deadline, `the replay stalled at ${packets} packets`);
        for (const probe of PROBES) statuses.push((await get(base, probe)).status);
        const stats = await get(base, "/api/v1/stats");
        statuses.push(stats.status);
        packets = stats.body.capture.packets;
        if (packets < capture.packets) {
          during++;
          seen.push(packets);
        }
      }
      // Every answer was a 200; several full rounds came back while packets were still coming
      // in (the engine and HTTP shared one thread before: /stats went unanswered for the whole
      // replay), and packets grew between them.
      assert.ok(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)]}`);
      assert.ok(during >= 3, `only ${during} rounds answered during the replay: ${seen}`);
      assert.ok(seen.at(-1)! > seen[0], `packets did not grow during the replay: ${seen}`);

      // The end of the file: every packet and byte, in /stats.
      const end = Date.now() + 60_000;
      let stats: StatsResponse;
      for (;;) {
        stats = (await get(base, "/api/v1/stats")).body;
        if (stats.capture.state === "ended") break;
        assert.ok(Date.now() < end, `the replay did not end: ${JSON.stringify(stats.capture)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(
        [stats.capture.packets, stats.capture.bytes, stats.capture.dropped_kernel],
        [capture.packets, capture.bytes, 0],
      );
      // The flood was summarised: one aggregate record to the server's port 80 holds exactly
      // the folded SYNs, and is the biggest flow by packets.
      assert.ok(stats.flows.aggregated > 0, JSON.stringify(stats.flows));
      const flows: FlowsResponse = (await get(base, "/api/v1/flows?sort=packets&limit=1")).body;
      const [top] = flows.flows;
      assert.deepEqual(
        [top.aggregate, top.src_ip, top.dst_ip, top.dst_port, top.packets_c2s],
        [true, "0.0.0.0", capture.server, 80, stats.flows.aggregated],
      );

      // Top talkers: the server, then the five heavy hosts with exactly the bytes they sent.
      const talkers = (await get(base, "/api/v1/talkers?window=5m&limit=6")).body.talkers as {
        address: string;
        bytes_sent: number;
        bytes_received: number;
      }[];
      assert.equal(talkers[0].address, capture.server);
      const want = [...capture.heavy].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      assert.deepEqual(
        talkers.slice(1).map((h) => [h.address, h.bytes_sent, h.bytes_received]),
        want.map(([address, bytes]) => [address, bytes, 0]),
      );
      assert.equal(await server.stop(), 0);
    } finally {
      await server.stop();
      await Deno.remove(path);
    }
  },
});
