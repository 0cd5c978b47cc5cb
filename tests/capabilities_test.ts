// Netwatch runs as an unprivileged user holding CAP_NET_RAW and nothing else: no root, and no
// CAP_NET_ADMIN (promiscuous mode and the 64 MiB ring work without it).

import assert from "node:assert/strict";
import { cliCommand } from "./helpers/cli.ts";
import { createTestLink, requireCommands, sh, waitForLine } from "./helpers/netns.ts";
import { asNobody, killAll, sharedHome } from "./helpers/process.ts";

const NOBODY = "65534"; // asNobody()'s uid

Deno.test({
  name: "an unprivileged user with only CAP_NET_RAW captures live, promiscuously",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "ping", "setpriv"]);
    const link = await createTestLink();
    const home = await sharedHome();
    let child: Deno.ChildProcess | undefined;
    try {
      const [program, ...lead] = cliCommand();
      // The only capability left anywhere: permitted via ambient, and the bounding set.
      child = link.spawn(link.b, [
        ...asNobody(home, ["net_raw"]),
        program,
        ...lead,
        "capture",
        "-i",
        link.b.dev,
        "--format",
        "json",
        "--quiet",
      ], { stdout: "piped", stderr: "piped" });
      const ready = await waitForLine(child.stderr, /capturing on/, 60_000, "netwatch as nobody");
      const report = new Response(child.stdout).text();
      const status = await sh([
        "ip",
        "netns",
        "exec",
        link.b.ns,
        "cat",
        `/proc/${child.pid}/status`,
      ]);
      assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\b`, "m"));
      // CapEff: only bit 13 (CAP_NET_RAW).
      assert.match(status, /^CapEff:\s+0000000000002000$/m);
      const details = await link.run(link.b, ["ip", "-d", "link", "show", link.b.dev]);
      assert.match(details, /promiscuity [1-9]/, "promiscuous mode was not enabled");
      await link.run(link.a, ["ping", "-q", "-c", "4", "-i", "0.2", link.b.ipv4]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill("SIGINT");
      const exit = await child.status;
      assert.equal(exit.code, 0, await ready.rest);
      const counts = JSON.parse(await report);
      assert.ok(counts.icmp >= 8, `expected 4 echo requests and 4 replies, got ${counts.icmp}`);
      assert.equal(counts.dropped_by_kernel, 0);
    } finally {
      if (child) killAll([child]);
      await link.destroy();
      await Deno.remove(home, { recursive: true });
    }
  },
});
