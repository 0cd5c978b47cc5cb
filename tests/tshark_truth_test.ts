// The committed ground truth of tests/data/pcaps/real is exactly what scripts/tshark_truth.ts
// makes from the captures, with the tool versions pinned in each file's first line.

import assert from "node:assert/strict";
import {
  installedVersions,
  makeTruth,
  pinnedVersions,
  type ToolVersions,
  TRUTH_FILES,
} from "../scripts/tshark_truth.ts";
import { corpusPath, readCsv } from "./helpers/corpus.ts";

const committed = Object.fromEntries(
  TRUTH_FILES.map((name) => [name, Deno.readTextFileSync(corpusPath(`real/${name}`))]),
);

const describe = (v: ToolVersions) =>
  `tshark ${v.tshark}, tcpdump ${v.tcpdump}, libpcap ${v.libpcap}`;

Deno.test("each truth file pins the tool versions it was made with, and readCsv skips that line", () => {
  const pins = TRUTH_FILES.map((name) => pinnedVersions(committed[name]));
  for (const [i, pin] of pins.entries()) assert.ok(pin, `${TRUTH_FILES[i]} has no version line`);
  assert.deepEqual(pins[0], pins[1], "the two truth files pin different versions");
  for (const name of TRUTH_FILES) {
    const rows = readCsv(`real/${name}`);
    assert.equal(rows.length, 29);
    assert.ok(rows.every((row) => row.file.endsWith(".pcap") || row.file.endsWith(".pcapng")));
  }
});

Deno.test("the committed truth is what scripts/tshark_truth.ts makes with the pinned tshark", async () => {
  const pinned = pinnedVersions(committed[TRUTH_FILES[0]])!;
  const installed = await installedVersions();
  // Another version may count differently: fail, naming both, rather than compare apples to pears.
  assert.deepEqual(
    installed,
    pinned,
    `The ground truth was made with ${describe(pinned)}; this machine has ` +
      `${describe(installed)}. Install the pinned versions, or remake the truth with ` +
      "`npx deno task truth` and review every changed figure before committing it.",
  );
  const made = await makeTruth();
  for (const name of TRUTH_FILES) {
    assert.equal(
      made[name],
      committed[name],
      `${name} differs from what scripts/tshark_truth.ts makes (npx deno task truth --check)`,
    );
  }
});
