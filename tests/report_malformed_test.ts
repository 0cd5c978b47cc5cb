// `netwatch report` on every broken capture in tests/data/pcaps/malformed: no crash, no hang, no
// stack trace; either a report of every packet libpcap delivers, or one clear line and exit 1.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusFiles, corpusPath } from "./helpers/corpus.ts";

/**
 * LIST.txt: tab-separated, '#' comments; libpcap_result is OPEN-FAIL, OK-N-PKTS or
 * ERROR-AFTER-N-PKTS. For the valid pcapng files libpcap 1.10 cannot read (category
 * libpcap-unsupported: interfaces of different link types or snapshot lengths), the truth is
 * tshark's ("rc=0 frames=N"): Netwatch reads each packet with its own interface's link type.
 */
function expectedResults(): Map<string, string> {
  const text = Deno.readTextFileSync(corpusPath("malformed/LIST.txt"));
  const rows = text.split(/\r?\n/).filter((line) => line && !line.startsWith("#"));
  const [header, ...body] = rows.map((line) => line.split("\t"));
  const [file, category, libpcap, tshark] = ["file", "category", "libpcap_result", "tshark_result"]
    .map((name) => header.indexOf(name));
  assert.ok(Math.min(file, category, libpcap, tshark) >= 0, "LIST.txt has the columns read here");
  return new Map(body.map((fields) => {
    if (!fields[category].startsWith("libpcap-unsupported")) return [fields[file], fields[libpcap]];
    const frames = /^rc=0 frames=(\d+)/.exec(fields[tshark]);
    assert.ok(frames, `${fields[file]}: tshark read it whole`);
    return [fields[file], `OK-${frames[1]}-PKTS (as tshark: libpcap 1.10 stops on it)`];
  }));
}

const expected = expectedResults();
const TIMEOUT_MS = 30_000;

Deno.test("every malformed capture has a libpcap result in LIST.txt", () => {
  const files = corpusFiles("malformed");
  assert.equal(files.length, 78);
  for (const file of files) assert.ok(expected.has(file), `${file} is not in LIST.txt`);
  // Valid pcapng whose interfaces differ in link type or snapshot length: read whole.
  assert.equal([...expected.values()].filter((r) => r.includes("as tshark")).length, 3);
});

for (const file of corpusFiles("malformed")) {
  Deno.test(`report on malformed ${file} reports or fails in one line`, async () => {
    const libpcapSays = expected.get(file) ?? "";
    const result = await runCli(
      ["report", corpusPath(`malformed/${file}`), "--format", "json"],
      TIMEOUT_MS,
    );
    const stderrLines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    assert.ok(!/^\s+at /m.test(result.stderr), `stack trace on stderr:\n${result.stderr}`);
    assert.ok(result.code === 0 || result.code === 1, `exit code ${result.code}: ${result.stderr}`);
    const delivered = /^(?:OK|ERROR-AFTER)-(\d+)-PKTS/.exec(libpcapSays);
    if (libpcapSays.startsWith("OK-")) {
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(stderrLines, []);
    } else {
      // libpcap itself refuses the file, or stops part-way: one line says why.
      assert.equal(result.code, 1, `expected a failure like libpcap's: ${libpcapSays}`);
      assert.equal(stderrLines.length, 1, result.stderr);
      assert.match(stderrLines[0], /^netwatch: Cannot read "[^"]+"( past packet \d+)?: \S/);
    }
    if (result.stdout.trim() !== "") {
      const report = JSON.parse(result.stdout);
      assert.ok(delivered, `a report for a file libpcap cannot open: ${libpcapSays}`);
      // Every packet libpcap delivers is counted: none lost to a decoder problem.
      assert.equal(report.packets, Number(delivered[1]));
      const classified = report.non_ip + report.ipv4 + report.ipv6 + report.undecoded;
      assert.ok(classified <= report.packets);
      assert.ok(
        report.packets - classified <= report.malformed + report.truncated,
        "a packet neither classified nor counted as malformed/truncated",
      );
    } else {
      assert.equal(result.code, 1, "no report and no failure");
    }
  });
}
