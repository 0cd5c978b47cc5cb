// bench/ab_run.ts, the measuring half of `deno task bench:ab`, imports a source tree's modules by
// path: this keeps it working as those modules move, and checks it counts every packet.

import assert from "node:assert/strict";
import { corpusPath, readCsv } from "./helpers/corpus.ts";
import { runProcess } from "./helpers/process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const FILE = "ndpi_iphone.pcap";
const expected = Number(readCsv("real/EXPECTED_OUTER.csv").find((r) => r.file === FILE)!.packets);

for (const mode of ["bare", "identity"]) {
  Deno.test(`ab_run measures this tree's engine over a capture (${mode})`, async () => {
    const args = ["run", "-A", `${ROOT}bench/ab_run.ts`, ROOT, corpusPath(`real/${FILE}`)];
    if (mode === "identity") args.push("identity");
    const result = await runProcess(Deno.execPath(), args, { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const line = JSON.parse(result.stdout);
    assert.equal(line.packets, expected);
    assert.ok(line.cpuSeconds > 0 && Number.isFinite(line.mpps) && line.mpps > 0, result.stdout);
  });
}
