// `netwatch report` against tshark's ground truth for every capture in tests/data/pcaps/real.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusFiles, corpusPath, readCsv } from "./helpers/corpus.ts";

const outer = new Map(readCsv("real/EXPECTED_OUTER.csv").map((row) => [row.file, row]));
const anyLayer = new Map(readCsv("real/EXPECTED.csv").map((row) => [row.file, row]));

/** The report's JSON text, with timestamps kept as the exact digits printed. */
function timestampsOf(json: string): { first: string; last: string } {
  const first = /"first_ts": ([0-9.]+)/.exec(json)?.[1] ?? "missing";
  const last = /"last_ts": ([0-9.]+)/.exec(json)?.[1] ?? "missing";
  return { first, last };
}

Deno.test("the corpus lists every real capture in its ground truth", () => {
  const files = corpusFiles("real");
  assert.equal(files.length, 29);
  assert.deepEqual(files, [...outer.keys()].sort());
});

for (const file of corpusFiles("real")) {
  Deno.test(`report on ${file} equals tshark's outermost-header counts`, async () => {
    const want = outer.get(file);
    const wantAny = anyLayer.get(file);
    assert.ok(want && wantAny, `${file} has no ground truth row`);
    const result = await runCli(["report", corpusPath(`real/${file}`), "--format", "json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(
      {
        packets: report.packets,
        bytes: report.bytes,
        non_ip: report.non_ip,
        ipv4: report.ipv4,
        ipv6: report.ipv6,
        tcp: report.tcp,
        udp: report.udp,
        icmp: report.icmp,
        other_l4: report.other_l4,
        nonfirst_fragments: report.nonfirst_fragments,
      },
      {
        packets: Number(want.packets),
        bytes: Number(wantAny.bytes),
        non_ip: Number(want.non_ip),
        ipv4: Number(want.ipv4_outer),
        ipv6: Number(want.ipv6_outer),
        tcp: Number(want.tcp_outer),
        udp: Number(want.udp_outer),
        icmp: Number(want.icmp_outer),
        other_l4: Number(want.other_l4_outer),
        nonfirst_fragments: Number(want.nonfirst_fragments),
      },
    );
    // tshark names the file's LINKTYPE ("RAW(101)"); libpcap reports the DLT (12 for RAW).
    assert.equal(report.linktype, wantAny.linktype.replace(/\(\d+\)$/, ""));
    // Timestamps to the nanosecond: first and last record (also the min and max here).
    assert.deepEqual(timestampsOf(result.stdout), {
      first: wantAny.first_ts,
      last: wantAny.last_ts,
    });
    assert.equal(wantAny.first_ts, want.min_ts);
    assert.equal(wantAny.last_ts, want.max_ts);
    // A well-formed capture has nothing malformed, truncated or undecoded.
    assert.deepEqual([report.malformed, report.truncated, report.undecoded], [0, 0, 0]);
  });
}
