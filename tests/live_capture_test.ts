// Live capture in network namespaces: real programs talk across a veth pair while Netwatch and
// tshark capture the same interface over the same window; their counts must be equal.

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { cliCommand } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { tsharkFields } from "../scripts/tshark_fields.ts";
import { createTestLink, requireCommands, waitForLine } from "./helpers/netns.ts";
import { startTshark, startWebServer } from "./helpers/live.ts";
import { killAll } from "./helpers/process.ts";

interface Counts {
  packets: number;
  bytes: number;
  non_ip: number;
  ipv4: number;
  ipv6: number;
  tcp: number;
  udp: number;
  icmp: number;
  other_l4: number;
}

/** Counts a pcap file with tshark, classifying each frame by its outermost IP header. */
async function tsharkCounts(path: string): Promise<Counts> {
  const lines = await tsharkFields(path, ["frame.len", "frame.protocols"]);
  const counts: Counts = {
    packets: 0,
    bytes: 0,
    non_ip: 0,
    ipv4: 0,
    ipv6: 0,
    tcp: 0,
    udp: 0,
    icmp: 0,
    other_l4: 0,
  };
  for (const line of lines) {
    const [len, protocols] = line.split("\t");
    counts.packets++;
    counts.bytes += Number(len);
    const layers = protocols.split(":");
    const ip = layers.findIndex((l) => l === "ip" || l === "ipv6");
    if (ip < 0) {
      counts.non_ip++;
      continue;
    }
    if (layers[ip] === "ip") counts.ipv4++;
    else counts.ipv6++;
    // IPv6 extension headers show up as "ipv6.hopopts" and the like.
    const next = layers.slice(ip + 1).find((l) => !l.startsWith("ipv6."));
    if (next === "tcp") counts.tcp++;
    else if (next === "udp") counts.udp++;
    else if (next === "icmp" || next === "icmpv6") counts.icmp++;
    else counts.other_l4++;
  }
  return counts;
}

function pick(report: Record<string, number>): Counts {
  const { packets, bytes, non_ip, ipv4, ipv6, tcp, udp, icmp, other_l4 } = report;
  return { packets, bytes, non_ip, ipv4, ipv6, tcp, udp, icmp, other_l4 };
}

Deno.test({
  name: "live capture on a veth counts what tshark counts over the same window",
  // Child processes outlive individual awaits here; they are all stopped in finally.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "tshark", "tcpreplay", "ping", "curl"]);
    const link = await createTestLink();
    const { a, b } = link;
    const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
    const children: Deno.ChildProcess[] = [];
    try {
      const server = await startWebServer(link, b, 20000);
      children.push(server);
      const tshark = await startTshark(link, b, pcap);
      children.push(tshark);
      const [program, ...lead] = cliCommand();
      const netwatch = link.spawn(b, [
        program,
        ...lead,
        "capture",
        "-i",
        b.dev,
        "--format",
        "json",
        "--quiet",
      ], {
        stdout: "piped",
        stderr: "piped",
      });
      children.push(netwatch);
      const ready = await waitForLine(netwatch.stderr, /capturing on/, 30_000, "netwatch");
      const reportText = new Response(netwatch.stdout).text();
      await sleep(300);

      await link.run(a, ["ping", "-q", "-c", "5", "-i", "0.2", b.ipv4]);
      await link.run(a, ["ping", "-q", "-6", "-c", "3", "-i", "0.2", b.ipv6]);
      for (let i = 0; i < 3; i++) {
        await link.run(a, ["curl", "-sS", "-o", "/dev/null", `http://${b.ipv4}:8080/`]);
      }
      await link.run(a, [
        "tcpreplay",
        "-q",
        "-i",
        a.dev,
        "--topspeed",
        corpusPath("real/zeek_http_bro.org.pcap"),
      ]);
      await sleep(1000); // let both drain their buffers

      netwatch.kill("SIGINT");
      const status = await netwatch.status;
      tshark.kill("SIGINT");
      await tshark.status;
      assert.equal(status.code, 0, await ready.rest);
      const report = JSON.parse(await reportText);
      const truth = await tsharkCounts(pcap);
      // The replayed capture alone has 751 frames; a miss would be far more than noise.
      assert.ok(truth.packets > 751 + 20, `tshark saw only ${truth.packets} frames`);
      assert.deepEqual(pick(report), truth);
      assert.equal(report.dropped_by_kernel, 0);
      assert.ok(report.received >= report.packets, "kernel counted fewer than we decoded");
      assert.equal(report.interface, b.dev);
    } finally {
      killAll(children);
      await link.destroy();
      await Deno.remove(pcap).catch(() => {});
    }
  },
});
