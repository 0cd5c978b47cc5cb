// `netwatch report --flows` against tshark: 5-tuple count and per-direction packets and bytes.
//
// tshark runs with defragmentation off and shows, per frame, the innermost IP header that is
// carried (tunnels taken off: GRE, VXLAN, GTP-U, Teredo, 6in4, ...; headers quoted in ICMP
// errors do not count) and the TCP or UDP header right after it (IPv6 extension headers
// skipped), as the flow engine keys packets. Non-first fragments carry no ports and do not
// count.

import assert from "node:assert/strict";
import { generateCapture } from "../bench/generate_capture.ts";
import { runCli } from "./helpers/cli.ts";
import { corpusFiles, corpusPath, readCsv } from "./helpers/corpus.ts";
import { account, type Conversations, reportConversations } from "./helpers/conversations.ts";
import { tsharkFrames } from "./helpers/tshark_inner.ts";

const outer = new Map(readCsv("real/EXPECTED_OUTER.csv").map((row) => [row.file, row]));

/** Per-5-tuple sums from tshark's innermost IP and TCP/UDP headers of each frame. */
async function tsharkSums(path: string): Promise<Conversations> {
  const sums: Conversations = new Map();
  for (const { inner, len } of await tsharkFrames(path)) {
    const [, src, dst, transport, sport, dport] = inner.split(" ");
    if (transport !== "tcp" && transport !== "udp") continue;
    account(sums, transport, [src, Number(sport)], [dst, Number(dport)], 1, len);
  }
  return sums;
}

Deno.test("tshark is installed (the flow checks below need it)", async () => {
  const output = await new Deno.Command("tshark", { args: ["-v"], stdout: "piped" }).output()
    .catch((error) => {
      throw new Error(`tshark is needed by tests/report_flows_test.ts and is missing: ${error}`);
    });
  assert.equal(output.code, 0, "tshark -v failed");
});

for (const file of corpusFiles("real")) {
  Deno.test(`report --flows on ${file} matches tshark's innermost TCP/UDP 5-tuples`, async () => {
    const want = outer.get(file);
    assert.ok(want, `${file} has no ground truth row`);
    const path = corpusPath(`real/${file}`);
    const [result, expected] = await Promise.all([
      runCli(["report", path, "--format", "json", "--flows"]),
      tsharkSums(path),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.tcp_udp_5tuples, expected.size);
    // Without tunnels, innermost is outermost: the count stored from tshark's outer headers.
    if (report.tunnelled === 0) {
      assert.equal(expected.size, Number(want.flows_tcpudp_5tuple), "tshark's own 5-tuple count");
    }

    const ids = new Set<number>();
    for (const flow of report.flows) {
      assert.ok(!ids.has(flow.id), `flow id ${flow.id} appears twice`);
      ids.add(flow.id);
    }
    const got = reportConversations(report.flows);
    const sorted = (m: Conversations) => new Map([...m].sort(([a], [b]) => a < b ? -1 : 1));
    assert.deepEqual(sorted(got), sorted(expected));
  });
}

Deno.test("a report of several megabytes comes out whole, in pieces", async () => {
  // Sent in 1 Mi-character pieces: a piece lost, repeated or cut inside a character would
  // break the JSON or the counts. The file name is not ASCII, so the text is not either.
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/débit-🚀.pcap`;
    const capture = generateCapture(path, { packets: 40_000, flows: 8_000 });
    const result = await runCli(["report", path, "--flows", "--format", "json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.length > 3 << 20, `only ${result.stdout.length} characters`);
    assert.ok(result.stdout.endsWith("}\n"));
    const report = JSON.parse(result.stdout);
    assert.equal(report.file, path);
    assert.equal(report.packets, capture.packets);
    assert.equal(report.flows.length, 8_000);
    const counted = report.flows.reduce(
      (n: number, f: { packets_c2s: number; packets_s2c: number }) =>
        n + f.packets_c2s + f.packets_s2c,
      0,
    );
    assert.equal(counted, capture.packets);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
