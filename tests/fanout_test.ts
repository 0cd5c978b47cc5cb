// Live capture split across workers: `serve -i <veth> --workers 2` (PACKET_FANOUT, hash mode)
// and `--workers 1` see the same replayed capture, and both agree with the file: totals, every
// flow's packets and bytes, and the top talkers. tshark reads the file for the truth. Then the
// same with a SYN flood (bench/generate_flood.ts): totals, and the heavy hosts exact behind the
// flooded server, which takes a merge of talkers across workers with every source a candidate.

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { generateCapture, type GeneratedCapture } from "../bench/generate_capture.ts";
import { generateFlood } from "../bench/generate_flood.ts";
import type { FlowsResponse, StatsResponse } from "../server/wire.ts";
import { ENDPOINT_FIELDS, tsharkFields } from "../scripts/tshark_fields.ts";
import { canonicalIp } from "./helpers/canonical_ip.ts";
import { addTo, conversationKey, type Sum } from "./helpers/conversations.ts";
import { getJsonIn, startServeIn } from "./helpers/live.ts";
import { createTestLink, requireCommands, type TestLink } from "./helpers/netns.ts";

const PORT = 7511;
/**
 * Only the replayed capture's addresses (10/8 clients, 192.168.0.x servers, fd00::/16 both),
 * so that link chatter (IPv6 MLD and the like) never makes the counts move.
 */
const FILTER = "net 10.0.0.0/8 or net 192.168.0.0/16 or net fd00::/16";

/** What a run of Netwatch reported. */
interface Seen {
  stats: StatsResponse;
  flows: Map<string, Sum>;
  ids: number[];
  talkers: { address: string; bytes: number }[];
}

/** The file's conversations and hosts, as tshark reads them. */
async function truthOf(
  path: string,
): Promise<{ flows: Map<string, Sum>; hosts: Map<string, number> }> {
  const lines = await tsharkFields(path, ["frame.len", ...ENDPOINT_FIELDS]);
  const flows = new Map<string, Sum>();
  const hosts = new Map<string, number>();
  for (const line of lines) {
    const [len, ip4s, ip4d, ip6s, ip6d, ts, td, us, ud] = line.split("\t");
    const src = canonicalIp(ip4s || ip6s);
    const dst = canonicalIp(ip4d || ip6d);
    const tcp = ts !== "";
    const key = conversationKey(
      tcp ? "tcp" : "udp",
      [src, Number(tcp ? ts : us)],
      [dst, Number(tcp ? td : ud)],
    ).key;
    addTo(flows, key, 1, Number(len));
    hosts.set(src, (hosts.get(src) ?? 0) + Number(len));
    hosts.set(dst, (hosts.get(dst) ?? 0) + Number(len));
  }
  return { flows, hosts };
}

/** Every flow Netwatch listed, paged with the cursor. */
async function allFlows(link: TestLink): Promise<FlowsResponse["flows"]> {
  const flows: FlowsResponse["flows"] = [];
  let cursor: string | null = null;
  do {
    const path: string = `/api/v1/flows?sort=first&order=asc&limit=1000` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    const page: FlowsResponse = await getJsonIn(link, link.b, PORT, path);
    flows.push(...page.flows);
    cursor = page.next_cursor;
  } while (cursor);
  return flows;
}

/**
 * Serves on b's veth with `workers`, replays `file` from a, and reads what Netwatch saw: with
 * `listFlows` false, no flows (a flood's are too many to page through here).
 */
async function run(link: TestLink, file: string, workers: number, listFlows = true): Promise<Seen> {
  const { child, rest } = await startServeIn(link, link.b, PORT, [
    "--workers",
    String(workers),
    "-f",
    FILTER,
  ]);
  try {
    await sleep(500);
    await link.run(link.a, ["tcpreplay", "-q", "-i", link.a.dev, "--topspeed", file]);
    await sleep(1500); // the capture's flush and the workers' one-second tick
    const stats: StatsResponse = await getJsonIn(link, link.b, PORT, "/api/v1/stats");
    const list = listFlows ? await allFlows(link) : [];
    const flows = new Map<string, Sum>();
    for (const f of list) {
      const key = conversationKey(f.proto, [f.src_ip, f.src_port], [f.dst_ip, f.dst_port]).key;
      addTo(flows, key, f.packets_c2s + f.packets_s2c, f.bytes_c2s + f.bytes_s2c);
    }
    const talkers = (await getJsonIn<{
      talkers: { address: string; bytes_sent: number; bytes_received: number }[];
    }>(link, link.b, PORT, "/api/v1/talkers?window=5m&limit=10")).talkers.map((h) => ({
      address: canonicalIp(h.address),
      bytes: h.bytes_sent + h.bytes_received,
    }));
    child.kill("SIGTERM");
    const exit = await child.status;
    assert.equal(exit.code, 0, await rest);
    return { stats, flows, ids: list.map((f) => f.id), talkers };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    throw error;
  }
}

/** `seen` agrees with the file in every figure. */
function assertAgrees(
  seen: Seen,
  capture: GeneratedCapture,
  truth: Awaited<ReturnType<typeof truthOf>>,
  what: string,
): void {
  assert.deepEqual(
    [seen.stats.capture.packets, seen.stats.capture.bytes, seen.stats.capture.dropped_kernel],
    [capture.packets, capture.bytes, 0],
    what,
  );
  // Each conversation once, with every packet and byte: a flow split between two workers (an
  // asymmetric hash) would show up as two records whose sums still match, so each record must
  // also hold the whole conversation.
  assert.equal(seen.flows.size, truth.flows.size, `${what}: conversations`);
  assert.deepEqual(seen.flows, truth.flows, what);
  assert.equal(seen.ids.length, truth.flows.size, `${what}: one record per conversation`);
  // Top talkers by bytes: the same values in order, each exact for its address.
  const want = [...truth.hosts.values()].sort((a, b) => b - a).slice(0, seen.talkers.length);
  assert.deepEqual(seen.talkers.map((h) => h.bytes), want, what);
  for (const h of seen.talkers) assert.equal(h.bytes, truth.hosts.get(h.address), h.address);
}

Deno.test({
  name: "serve --workers 2 (PACKET_FANOUT) and --workers 1 agree with the replayed file",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "tshark", "tcpreplay", "curl"]);
    const file = await Deno.makeTempFile({ suffix: ".pcap" });
    const floodFile = await Deno.makeTempFile({ suffix: ".pcap" });
    // Full frames (tcpreplay sends what the file holds), 2,000 flows over 251 servers.
    const capture = generateCapture(file, {
      packets: 20_000,
      flows: 2_000,
      snaplen: 1514,
      seed: 13,
    });
    const link = await createTestLink();
    try {
      const truth = await truthOf(file);
      assert.equal([...truth.flows.values()].reduce((n, s) => n + s.packets, 0), capture.packets);
      const one = await run(link, file, 1);
      const two = await run(link, file, 2);
      assertAgrees(one, capture, truth, "1 worker");
      assertAgrees(two, capture, truth, "2 workers");
      // The table sizes are totals: two workers hold half each, not twice the memory.
      const sizes = (seen: Seen) => [
        seen.stats.flows.capacity,
        seen.stats.flows.history_capacity,
        seen.stats.hosts.capacity,
      ];
      assert.deepEqual(sizes(two), sizes(one));
      // Both workers had flows: record ids step by the number of workers from the worker's
      // number, so worker 0's are odd and worker 1's even. (Were the fanout not joined, each
      // worker would see every packet, and the totals above would be doubled.)
      const odd = two.ids.filter((id) => id % 2 === 1).length;
      const even = two.ids.length - odd;
      assert.ok(odd > 200 && even > 200, `worker 0 has ${odd} flows, worker 1 ${even}`);

      // A SYN flood: 27,000 sources, each a one-packet flow and a host, split between the
      // workers. /talkers then merges shards whose top tens end in a flat tail of 60-byte
      // hosts, so every source is a candidate of the last round (this stalled a worker for
      // minutes, and /talkers answered 503, when a host was found by scanning the table).
      const flood = generateFlood(floodFile, { packets: 30_000, fullFrames: true, seed: 13 });
      for (const workers of [1, 2]) {
        const seen = await run(link, floodFile, workers, false);
        const what = `flood, ${workers} worker(s)`;
        assert.deepEqual(
          [seen.stats.capture.packets, seen.stats.capture.bytes, seen.stats.capture.dropped_kernel],
          [flood.packets, flood.bytes, 0],
          what,
        );
        assert.equal(seen.talkers[0].address, flood.server, what);
        const heavy = [...flood.heavy].sort((a, b) => b[1] - a[1]).map(([address, bytes]) => ({
          address,
          bytes,
        }));
        assert.deepEqual(seen.talkers.slice(1, 6), heavy, what);
      }
    } finally {
      await link.destroy();
      await Deno.remove(file).catch(() => {});
      await Deno.remove(floodFile).catch(() => {});
    }
  },
});
