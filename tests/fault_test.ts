// Faults: the captured interface disappears and comes back. Netwatch says so in /health, keeps
// serving what it had, and resumes capturing by itself.

import { setTimeout as sleep } from "node:timers/promises";
import assert from "node:assert/strict";
import { createTestLink, requireCommands, type TestLink } from "./helpers/netns.ts";
import { getJsonIn, startServeIn } from "./helpers/live.ts";
import { killAll } from "./helpers/process.ts";

const PORT = 7511;

function api<T>(link: TestLink, path: string): Promise<T> {
  return getJsonIn<T>(link, link.b, PORT, path);
}

interface Health {
  status: string;
  capture: { state: string; error: { kind: string; message: string } | null };
  /** The HTTP status it came with: 503 while the capture has failed (for probes). */
  code: number;
}

/** /health with its HTTP status (curl without --fail: a failed capture answers 503). */
async function health(link: TestLink): Promise<Health> {
  const url = `http://127.0.0.1:${PORT}/api/v1/health`;
  const out = await link.run(link.b, ["curl", "-sS", "-w", "\n%{http_code}", url]);
  const at = out.lastIndexOf("\n");
  return { ...JSON.parse(out.slice(0, at)), code: Number(out.slice(at + 1)) };
}

/** Polls /health until `done` holds, for at most `ms`. */
async function healthUntil(link: TestLink, done: (h: Health) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const h = await health(link);
    if (done(h)) return h;
    if (Date.now() > deadline) assert.fail(`health never changed: ${JSON.stringify(h)}`);
    await sleep(200);
  }
}

Deno.test({
  name: "serve survives its interface disappearing and resumes when it comes back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireCommands(["ip", "ping", "curl"]);
    const link = await createTestLink();
    const { child: netwatch, rest } = await startServeIn(link, link.b, PORT);
    try {
      await link.run(link.a, ["ping", "-q", "-c", "3", "-i", "0.2", link.b.ipv4]);
      await sleep(1200);
      type Stats = {
        capture: { packets: number; dropped_kernel: number; error: { message: string } | null };
      };
      const before = await api<Stats>(link, "/api/v1/stats");
      assert.ok(before.capture.packets >= 6, JSON.stringify(before.capture));

      await link.disconnect();
      const broken = await healthUntil(link, (h) => h.status === "error", 10_000);
      assert.equal(broken.capture.state, "error");
      assert.equal(broken.code, 503);
      assert.match(broken.capture.error?.message ?? "", /disappeared|no such interface/i);
      // What was captured is still served.
      type Flows = { total: number; flows: { proto: string }[] };
      const kept = await api<Flows>(link, "/api/v1/flows?proto=icmp");
      assert.ok(kept.total >= 1, "the ping flow is gone");
      const during = await api<Stats>(link, "/api/v1/stats");
      assert.equal(during.capture.packets, before.capture.packets);
      // /stats carries the error too: the dashboard's header shows it from there.
      assert.match(during.capture.error?.message ?? "", /disappeared|no such interface/i);

      await link.connect();
      const healed = await healthUntil(link, (h) => h.status === "ok", 15_000);
      assert.equal(healed.capture.state, "running");
      assert.equal(healed.code, 200);
      assert.equal(healed.capture.error, null);
      await link.run(link.a, ["ping", "-q", "-c", "3", "-i", "0.2", link.b.ipv4]);
      await sleep(1200);
      const after = await api<Stats>(link, "/api/v1/stats");
      assert.ok(
        after.capture.packets >= before.capture.packets + 6,
        `capture did not resume: ${before.capture.packets} -> ${after.capture.packets}`,
      );
      assert.equal(after.capture.dropped_kernel, 0);
      assert.equal(after.capture.error, null);

      netwatch.kill("SIGTERM");
      const said = await rest;
      assert.equal((await netwatch.status).code, 0, said);
      // The log says both changes, so it never reads as if capture were still down.
      assert.match(said, /netwatch: capture stopped: .* \(retrying every 2 s\)\n/);
      assert.match(said, new RegExp(`netwatch: capture resumed on ${link.b.dev}\n`));
    } finally {
      killAll([netwatch]);
      await link.destroy();
    }
  },
});
