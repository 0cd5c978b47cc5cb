// The shipped systemd unit: valid, hardened, and holding CAP_NET_RAW as its only capability.

import assert from "node:assert/strict";
import { requireCommands } from "./helpers/netns.ts";

const UNIT = new URL("../packaging/netwatch.service", import.meta.url).pathname;

async function analyze(args: string[]): Promise<string> {
  const out = await new Deno.Command("systemd-analyze", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return text.decode(out.stdout) + text.decode(out.stderr);
}

Deno.test("the systemd unit verifies and keeps only CAP_NET_RAW", async () => {
  await requireCommands(["systemd-analyze"]);
  const unit = await Deno.readTextFile(UNIT);
  assert.match(unit, /^AmbientCapabilities=CAP_NET_RAW$/m);
  assert.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW$/m);
  assert.match(unit, /^NoNewPrivileges=yes$/m);
  assert.match(unit, /^DynamicUser=yes$/m);
  assert.match(unit, /^ProtectSystem=strict$/m);
  // History is written to the state directory systemd makes (and passes as STATE_DIRECTORY).
  assert.match(unit, /^StateDirectory=netwatch$/m);
  // Room for connections above systemd's soft default of 1024 open files.
  assert.ok(Number(/^LimitNOFILE=(\d+)$/m.exec(unit)?.[1]) >= 4096, "LimitNOFILE");
  // The binary is not installed here: that is the only complaint allowed.
  const verify = (await analyze(["verify", UNIT])).split("\n").filter((line) =>
    line.trim() !== "" && !/is not executable: No such file or directory/.test(line)
  );
  assert.deepEqual(verify, []);
});

Deno.test("the systemd unit's exposure score stays low", async () => {
  await requireCommands(["systemd-analyze"]);
  const report = await analyze(["security", "--offline=yes", UNIT]);
  const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(report)?.[1]);
  assert.ok(Number.isFinite(score), report);
  assert.ok(score <= 2.5, `exposure ${score} (0 is best, 10 worst)`);
});
