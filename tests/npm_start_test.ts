// `npm start` as the README gives it: one Netwatch process under the npm client, stopped
// cleanly by SIGTERM or Ctrl-C sent to either, its port free again within 5 seconds.

import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import pkg from "../package.json" with { type: "json" };
import { corpusPath } from "./helpers/corpus.ts";
import { freePort } from "./helpers/serve.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CAPTURE = corpusPath("real/zeek_wikipedia.pcap");
/** The bootstrap may build the dashboard bundle first. */
const START_DEADLINE_MS = 180_000;
/** What the issue asks: the port is free again within 5 s of the signal. */
const PORT_FREE_MS = 5_000;

/** Parent pid of every process, from /proc. */
function parents(): Map<number, number> {
  const ppid = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ")".
      ppid.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended while listing
    }
  }
  return ppid;
}

/** Every process below `pid`. */
function descendants(pid: number): number[] {
  const ppid = parents();
  const found: number[] = [];
  let level = [pid];
  while (level.length) {
    level = [...ppid].filter(([, parent]) => level.includes(parent)).map(([child]) => child);
    found.push(...level);
  }
  return found;
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it holds or `ms` pass; whether it held. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return await check();
}

Deno.test("npm start execs the cli task's command, with the real Deno binary for `deno`", () => {
  // One command line in two places: package.json cannot run `deno task cli`, which would put
  // a `deno task` process between npm and Netwatch.
  const [setup, exec] = pkg.scripts.start.split(" && ");
  assert.equal(setup, "node scripts/bootstrap.mjs start");
  assert.equal(exec, `exec .cache/deno ${config.tasks.cli.replace(/^deno /, "")}`);
});

/** Who gets the signal: npm, its whole process group (Ctrl-C in a terminal), or Netwatch. */
type Target = "npm" | "group" | "netwatch";

const CASES: [Target, Deno.Signal][] = [
  ["npm", "SIGTERM"],
  ["group", "SIGINT"],
  ["netwatch", "SIGTERM"],
  ["netwatch", "SIGINT"],
];

for (const [target, signal] of CASES) {
  const who = target === "group" ? "npm's process group (Ctrl-C)" : `the ${target} process`;
  Deno.test(`npm start runs one Netwatch process; ${signal} to ${who} stops it, port freed`, async () => {
    const port = freePort();
    // setsid: npm leads its own process group, as a shell's foreground job does, so that
    // "Ctrl-C" can go to the group without reaching this test.
    const child = new Deno.Command("setsid", {
      args: [
        "npm",
        "start",
        "--",
        "--read",
        CAPTURE,
        "--speed",
        "1",
        "--listen",
        `127.0.0.1:${port}`,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const done = child.output();
    const npm = child.pid;
    let exited = false;
    done.finally(() => (exited = true));
    try {
      const serving = await within(START_DEADLINE_MS, async () => {
        if (exited) return true;
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => null);
        await response?.body?.cancel();
        return response?.ok === true;
      });
      if (!serving || exited) {
        const stderr = exited ? new TextDecoder().decode((await done).stderr) : "(still running)";
        assert.fail(`npm start did not serve on port ${port}: ${stderr}`);
      }

      const below = descendants(npm);
      assert.equal(below.length, 1, `processes under npm: ${below.map(describe).join("; ")}`);
      const [server] = below;
      const exe = Deno.realPathSync(`/proc/${server}/exe`);
      assert.equal(
        exe,
        Deno.realPathSync(`${ROOT}.cache/deno`),
        "the server is not the Deno binary",
      );
      assert.match(describe(server), /\bmain\.ts\b/);

      Deno.kill(target === "group" ? -npm : target === "npm" ? npm : server, signal);
      const freed = await within(PORT_FREE_MS, () => portFree(port));
      assert.ok(freed, `port ${port} still taken ${PORT_FREE_MS} ms after ${signal}`);
      const result = await done;
      const stderr = new TextDecoder().decode(result.stderr);
      assert.equal(result.code, 0, `npm exited ${result.code}: ${stderr}`);
      assert.ok(!existsProcess(server), "Netwatch outlived npm");
    } finally {
      if (!exited) {
        try {
          Deno.kill(-npm, "SIGKILL");
        } catch {
          // already gone
        }
        await done;
      }
    }
  });
}

/** A process's command line, for messages. */
function describe(pid: number): string {
  try {
    return `${pid} ${Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ").trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function existsProcess(pid: number): boolean {
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}
