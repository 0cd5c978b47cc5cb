// tsharkFields() reads every frame of a capture, with statistics after them, and fails loudly.

import assert from "node:assert/strict";
import { generateCapture } from "../bench/generate_capture.ts";
import { tsharkFields } from "./tshark_fields.ts";

Deno.test("tsharkFields() gives one line per frame, then the statistics asked for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const capture = generateCapture(`${dir}/c.pcap`, { packets: 300, flows: 20, seed: 5 });
    const lines = await tsharkFields(capture.path, ["frame.len", "ip.src", "ipv6.src"]);
    assert.equal(lines.length, capture.packets);
    assert.equal(lines.reduce((sum, line) => sum + Number(line.split("\t")[0]), 0), capture.bytes);
    // -n: numbers, not names; one of the two address fields is set.
    assert.ok(lines.every((line) => /^\d+\t([\d.]+\t|\t[0-9a-f:]+)$/.test(line)), lines[0]);
    const withStats = await tsharkFields(capture.path, ["frame.len"], { more: ["-z", "conv,tcp"] });
    assert.ok(withStats.length > capture.packets);
    assert.ok(withStats[capture.packets].startsWith("===="), withStats[capture.packets]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tsharkFields() fails with tshark's message on a file it cannot read", async () => {
  await assert.rejects(
    tsharkFields("/nonexistent/nothing.pcap", ["frame.len"]),
    /tshark failed on \/nonexistent\/nothing\.pcap: .+/,
  );
});
