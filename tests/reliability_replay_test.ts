// Hostile command lines and captures: a real-time replay across a ten-month silence, absurd
// --speed values, and table sizes no machine has, each one line and no flood on stderr.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { startServe } from "./helpers/serve.ts";
import { sleep } from "./reliability_server.ts";

/** Four packets, then ten months of silence, then the rest (with gaps of minutes). */
const SITES = corpusPath("real/ndpi_sites.pcapng");

Deno.test("a real-time replay skips a ten-month silence, says so once, and carries on", async () => {
  const server = await startServe({ file: SITES, speed: 1 });
  let packets = 0;
  try {
    const deadline = Date.now() + 30_000;
    while (packets < 30 && Date.now() < deadline) {
      await sleep(250);
      const stats = await (await fetch(`${server.base}/api/v1/stats`)).json();
      packets = stats.capture.packets;
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const { stderr } = server.output();
  assert.ok(packets >= 30, `only ${packets} packets replayed in 30 s`);
  assert.doesNotMatch(stderr, /TimeoutOverflowWarning/);
  const notices = stderr.split("\n").filter((l) => /skips silences/.test(l));
  assert.equal(notices.length, 1, stderr.slice(0, 2000));
  assert.match(notices[0], /the first: 3\d\d\.\d days before packet 5/);
  assert.ok(stderr.split("\n").length < 10, `stderr has ${stderr.split("\n").length} lines`);
});

Deno.test("absurd --speed values are a usage error naming the accepted range", async () => {
  for (const speed of ["1e-308", "0", "-1", "NaN", "Infinity", "1e9", "fast"]) {
    const result = await runCli(["serve", "--read", SITES, `--speed=${speed}`], 30_000);
    assert.equal(result.code, 2, `--speed ${speed}: ${result.stderr}`);
    assert.match(
      result.stderr,
      /^netwatch: Invalid --speed ".*": expected max or a number from 0\.001 to 1000000/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 2, result.stderr); // and the --help hint
  }
});

Deno.test("table sizes beyond the machine's memory are one line naming the option and the most", async () => {
  for (
    const [option, value] of [
      ["--max-flows", "1000000000000"],
      ["--max-history", "1000000000000000"],
      ["--max-hosts", "1000000000000"],
    ]
  ) {
    const result = await runCli(["serve", "--read", SITES, option, value], 30_000);
    assert.equal(result.code, 2, `${option} ${value}: ${result.stderr}`);
    const [line] = result.stderr.split("\n");
    assert.match(
      line,
      new RegExp(`^netwatch: Invalid ${option} ${Number(value)}: at most \\d+ fit`),
    );
    assert.doesNotMatch(result.stderr, /RangeError|\n\s+at |allocation failed/);
    // The largest accepted value is accepted.
    const most = Number(/at most (\d+)/.exec(line)![1]);
    assert.ok(most > 1000, line);
  }
});
