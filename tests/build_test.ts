// build.ts: one binary per target, or one clear line why not; never a binary that is not Netwatch.

import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TARGET = Deno.build.arch === "aarch64"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";
const OUTPUT = `${ROOT}dist/netwatch-${TARGET}`;

async function build(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}build.ts`, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("build makes a working binary, or says in one line why it cannot", async () => {
  await Deno.remove(OUTPUT).catch(() => {});
  const result = await build([TARGET]);
  if (result.code === 0) {
    // Where the runtime can be fetched: the binary and `deno run` are the same CLI.
    assert.ok(await exists(OUTPUT));
    const sample = corpusPath("real/zeek_wikipedia.pcap");
    const viaDeno = await runCli(["report", sample, "--format", "json"]);
    const binary = await new Deno.Command(OUTPUT, {
      args: ["report", sample, "--format", "json"],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(binary.stdout), viaDeno.stdout);
    return;
  }
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split("\n").filter((l) => l.trim() && !/^\S*Task\S* /.test(l));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^build: cannot build dist\/netwatch-.+: deno compile could not download/);
  assert.match(lines[0], /DENORT_BIN/);
  assert.equal(await exists(OUTPUT), false, "a failed build left a file behind");
});

Deno.test("build deletes a binary that does not run as Netwatch (DENORT_BIN naming a full deno)", async () => {
  const result = await build([TARGET], { DENORT_BIN: Deno.execPath() });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /did not run as Netwatch .* so it was deleted/);
  assert.equal(await exists(OUTPUT), false);
});

Deno.test("build refuses an unknown target and a DENORT_BIN that is not a Linux runtime", async () => {
  const target = await build(["riscv64-unknown-linux-gnu"]);
  assert.equal(target.code, 2);
  assert.match(target.stderr, /unknown target "riscv64-unknown-linux-gnu"/);
  const notElf = await build([], { DENORT_BIN: `${ROOT}deno.json` });
  assert.equal(notElf.code, 1);
  assert.match(notElf.stderr, /is not a Linux x86_64 or aarch64 executable/);
});
