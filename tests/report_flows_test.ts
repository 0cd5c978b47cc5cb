// `netwatch report --flows` against tshark: 5-tuple count and per-direction packets and bytes.
//
// tshark runs with defragmentation off and prints, per frame, the protocol stack and the first
// occurrence of each address and port field. A frame counts when TCP or UDP directly follows
// its outermost IP header (IPv6 extension headers skipped), as the flow engine sees packets:
// tunnelled headers, headers quoted in ICMP errors and non-first fragments do not count.

import assert from "node:assert/strict";
import { generateCapture } from "../bench/generate_capture.ts";
import { runCli } from "./helpers/cli.ts";
import { account, reportConversations, type Sums } from "./helpers/conversations.ts";
import { corpusFiles, corpusPath, readCsv } from "./helpers/corpus.ts";

const outer = new Map(readCsv("real/EXPECTED_OUTER.csv").map((row) => [row.file, row]));

const FIELDS = [
  "frame.protocols",
  "frame.len",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "udp.srcport",
  "udp.dstport",
];

/** Per-5-tuple sums from tshark's per-packet fields of the outermost IP and TCP/UDP headers. */
async function tsharkSums(path: string): Promise<Map<string, Sums>> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("tshark", {
      args: [
        "-r",
        path,
        "-n",
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-E",
        "separator=/t",
        ...FIELDS.flatMap((field) => ["-e", field]),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(
      `tshark is needed for this test and could not be run (install Wireshark's tshark): ${error}`,
    );
  }
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `tshark failed on ${path}: ${stderr}`);
  const sums = new Map<string, Sums>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (line === "") continue;
    const [protocols, len, ip4src, ip4dst, ip6src, ip6dst, tsp, tdp, usp, udp] = line.split("\t");
    const stack = protocols.split(":");
    const at = stack.findIndex((p) => p === "ip" || p === "ipv6");
    if (at < 0) continue;
    let next = at + 1;
    while (next < stack.length && stack[next].startsWith("ipv6.")) next++; // extension headers
    const transport = stack[next];
    if (transport !== "tcp" && transport !== "udp") continue;
    const v6 = stack[at] === "ipv6";
    const src = v6 ? ip6src : ip4src;
    const dst = v6 ? ip6dst : ip4dst;
    const ports = transport === "tcp" ? [tsp, tdp] : [usp, udp];
    assert.ok(src && dst && ports[0] && ports[1], `tshark fields missing in "${line}"`);
    account(sums, transport, [src, Number(ports[0])], [dst, Number(ports[1])], 1, Number(len));
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
  Deno.test(`report --flows on ${file} matches tshark's outermost TCP/UDP 5-tuples`, async () => {
    const want = outer.get(file);
    assert.ok(want, `${file} has no ground truth row`);
    const path = corpusPath(`real/${file}`);
    const [result, expected] = await Promise.all([
      runCli(["report", path, "--format", "json", "--flows"]),
      tsharkSums(path),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.tcp_udp_5tuples, Number(want.flows_tcpudp_5tuple));
    assert.equal(expected.size, Number(want.flows_tcpudp_5tuple), "tshark's own 5-tuple count");

    const ids = new Set<number>();
    for (const flow of report.flows) {
      assert.ok(!ids.has(flow.id), `flow id ${flow.id} appears twice`);
      ids.add(flow.id);
    }
    const got = reportConversations(report.flows);
    const sorted = (m: Map<string, Sums>) => new Map([...m].sort(([a], [b]) => a < b ? -1 : 1));
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
