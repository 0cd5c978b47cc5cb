// End to end, live: Netwatch serves in one namespace while real programs (curl against an HTTP
// server, ping, iperf3, tcpreplay) talk across a veth; /stats, /flows, /talkers and the stream
// must agree with tshark capturing the same interface over the same window.

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { corpusPath } from "./helpers/corpus.ts";
import { tsharkFields } from "../scripts/tshark_fields.ts";
import { createTestLink, requireCommands, type TestLink } from "./helpers/netns.ts";
import { getJsonIn, startServeIn, startTshark, startWebServer } from "./helpers/live.ts";
import { killAll } from "./helpers/process.ts";

const PORT = 7510;
const IPERF_PORT = 5201;

/** Per-frame facts from tshark: length, outermost addresses, TCP ports. */
interface Frame {
  len: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

async function tsharkFrames(pcap: string): Promise<Frame[]> {
  const lines = await tsharkFields(pcap, [
    "frame.len",
    "ip.src",
    "ip.dst",
    "tcp.srcport",
    "tcp.dstport",
  ]);
  return lines.map((line) => {
    const [len, src, dst, sport, dport] = line.split("\t");
    return { len: Number(len), src, dst, sport: Number(sport || 0), dport: Number(dport || 0) };
  });
}

/** GETs an API path from inside host b's namespace (where Netwatch listens on loopback). */
function api(link: TestLink, path: string): Promise<unknown> {
  return getJsonIn(link, link.b, PORT, path);
}

/** A stream client inside b: subscribes to rates every 200 ms and prints each message. */
function streamClient(link: TestLink): Deno.ChildProcess {
  const code = `
    const ws = new WebSocket("ws://127.0.0.1:${PORT}/api/v1/stream");
    ws.onopen = () => ws.send(JSON.stringify({ op: "subscribe", id: "r", topic: "rates", interval_ms: 200 }));
    ws.onmessage = (e) => console.log(e.data);
    ws.onclose = () => Deno.exit(0);`;
  return link.spawn(link.b, [Deno.execPath(), "eval", code], { stdout: "piped", stderr: "null" });
}

Deno.test({
  name: "netwatch serve on a live veth agrees with tshark through the API and the stream",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "tshark", "tcpreplay", "ping", "curl", "iperf3"]);
    const link = await createTestLink();
    const { a, b } = link;
    const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
    const children: Deno.ChildProcess[] = [];
    try {
      const web = await startWebServer(link, b, 50000);
      children.push(web);
      const iperfServer = link.spawn(b, ["iperf3", "-s", "-1", "-B", b.ipv4], {
        stdout: "null",
        stderr: "null",
      });
      children.push(iperfServer);

      const tshark = await startTshark(link, b, pcap);
      children.push(tshark);
      const { child: netwatch, rest } = await startServeIn(link, b, PORT);
      children.push(netwatch);
      const stream = streamClient(link);
      children.push(stream);
      const streamText = new Response(stream.stdout).text();
      await sleep(500);

      await link.run(a, ["ping", "-q", "-c", "5", "-i", "0.2", b.ipv4]);
      for (let i = 0; i < 3; i++) {
        await link.run(a, ["curl", "-sS", "-o", "/dev/null", `http://${b.ipv4}:8080/`]);
      }
      await link.run(a, ["iperf3", "-c", b.ipv4, "-t", "3", "-b", "100M", "-p", `${IPERF_PORT}`]);
      await link.run(a, [
        "tcpreplay",
        "-q",
        "-i",
        a.dev,
        "--topspeed",
        corpusPath("real/zeek_http_bro.org.pcap"),
      ]);
      await sleep(1500); // the capture's flush and the monitor's one-second tick

      const stats = await api(link, "/api/v1/stats") as {
        capture: { packets: number; bytes: number; received: number; dropped_kernel: number };
      };
      const iperfFlows = await api(link, `/api/v1/flows?port=${IPERF_PORT}&limit=10`) as {
        flows: { bytes_c2s: number; bytes_s2c: number; src_ip: string; dst_ip: string }[];
      };
      const talkers = await api(link, "/api/v1/talkers?window=1m&limit=3") as {
        talkers: { address: string; bytes_sent: number; bytes_received: number }[];
      };
      tshark.kill("SIGINT");
      await tshark.status;
      stream.kill("SIGTERM");
      const messages = (await streamText).split("\n").filter(Boolean).map((l) => JSON.parse(l));

      const frames = await tsharkFrames(pcap);
      const bytes = frames.reduce((sum, f) => sum + f.len, 0);
      assert.deepEqual(
        { packets: stats.capture.packets, bytes: stats.capture.bytes },
        { packets: frames.length, bytes },
      );
      assert.equal(stats.capture.dropped_kernel, 0);
      // Kernel counters are fresh: the kernel saw at least what Netwatch accounted.
      assert.ok(stats.capture.received >= stats.capture.packets, JSON.stringify(stats.capture));

      // iperf3's control and data connections, both ways, as tshark sums them.
      const iperfBytes = frames.filter((f) => f.sport === IPERF_PORT || f.dport === IPERF_PORT)
        .reduce((sum, f) => sum + f.len, 0);
      assert.ok(iperfBytes > 30_000_000, `iperf3 moved only ${iperfBytes} bytes`);
      const flowBytes = iperfFlows.flows.reduce((sum, f) => sum + f.bytes_c2s + f.bytes_s2c, 0);
      assert.equal(flowBytes, iperfBytes);
      for (const flow of iperfFlows.flows) {
        assert.deepEqual([flow.src_ip, flow.dst_ip], [a.ipv4, b.ipv4], "client -> server");
      }

      // The busiest host by bytes sent + received, from tshark's frames.
      const perHost = new Map<string, number>();
      for (const f of frames) {
        if (!f.src) continue;
        perHost.set(f.src, (perHost.get(f.src) ?? 0) + f.len);
        perHost.set(f.dst, (perHost.get(f.dst) ?? 0) + f.len);
      }
      const busiest = [...perHost].sort((x, y) => y[1] - x[1])[0];
      const top = talkers.talkers[0];
      assert.equal(top.address, busiest[0]);
      assert.equal(top.bytes_sent + top.bytes_received, busiest[1]);

      // The stream delivered rates about every 200 ms, and its totals kept up with /stats.
      const rates = messages.filter((m) => m.type === "data" && m.topic === "rates");
      assert.ok(rates.length >= 20, `only ${rates.length} rate updates`);
      const gaps = rates.slice(1).map((m, i) => m.ts - rates[i].ts);
      gaps.sort((x, y) => x - y);
      const medianGap = gaps[Math.floor(gaps.length / 2)];
      assert.ok(medianGap >= 150 && medianGap <= 300, `median gap ${medianGap} ms`);
      assert.equal(rates.at(-1).data.packets_total, stats.capture.packets);

      netwatch.kill("SIGTERM");
      const exit = await netwatch.status;
      assert.equal(exit.code, 0, await rest);
    } finally {
      killAll(children);
      await link.destroy();
      await Deno.remove(pcap).catch(() => {});
    }
  },
});
