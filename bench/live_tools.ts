// The capture tools a live benchmark runs in a namespace: Netwatch, darkstat and softflowd.
//
// Each is started on the receiving end of a test link and read back through its own counters:
// Netwatch's /api/v1/stats, darkstat's front page (pcap_stats behind "captured, dropped") and
// `softflowctl statistics` (softflowd's own pcap_stats line). CPU comes from /proc/<pid>/stat.

import type { TestHost, TestLink } from "../tests/helpers/netns.ts";
import { getJsonIn, startServeIn } from "../tests/helpers/live.ts";
import type { StatsResponse } from "../server/wire.ts";

/** Packets a tool has seen and lost so far, by its own account. */
export interface ToolCounters {
  /**
   * Packets the tool processed (Netwatch: accounted; darkstat: packets seen; softflowd: pcap
   * received less dropped).
   */
  captured: number;
  /** Packets the kernel (or interface) dropped before the tool read them. */
  dropped: number;
}

/** A capture tool running in a namespace. */
export interface RunningTool {
  name: string;
  pid: number;
  counters(): Promise<ToolCounters>;
  stop(): Promise<void>;
}

/** Names of the tools, as the benchmarks and BENCHMARKS.md spell them. */
export type ToolName = "netwatch" | "darkstat" | "softflowd";

export const TOOL_NAMES: readonly ToolName[] = ["netwatch", "darkstat", "softflowd"];

const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** CPU seconds (user + system, every thread) a process has used. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name: utime is the 14th field, stime the 15th (clock ticks).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** Resident memory of a process in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+)/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already exited
  }
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  kill(child, "SIGTERM");
  const timer = setTimeout(() => kill(child, "SIGKILL"), 5000);
  await child.status;
  clearTimeout(timer);
}

/** `netwatch serve -i <dev>` in `host`'s namespace, listening on its loopback at `port`. */
export async function startNetwatch(
  link: TestLink,
  host: TestHost,
  port: number,
): Promise<RunningTool> {
  const { child } = await startServeIn(link, host, port);
  return {
    name: "netwatch",
    pid: child.pid,
    async counters() {
      const stats = await getJsonIn<StatsResponse>(link, host, port, "/api/v1/stats");
      return {
        captured: stats.capture.packets,
        dropped: stats.capture.dropped_kernel + stats.capture.dropped_interface,
      };
    },
    stop: () => stopChild(child),
  };
}

/** darkstat on `host`'s interface, its web page on the namespace's loopback at `port`. */
export async function startDarkstat(
  link: TestLink,
  host: TestHost,
  port: number,
): Promise<RunningTool> {
  const child = link.spawn(host, [
    "darkstat",
    "-i",
    host.dev,
    "--no-daemon",
    "--no-dns",
    "-b",
    "127.0.0.1",
    "-p",
    String(port),
  ], { stdout: "null", stderr: "null" });
  const tool: RunningTool = {
    name: "darkstat",
    pid: child.pid,
    async counters() {
      const page = await link.run(host, ["curl", "-sS", `http://127.0.0.1:${port}/`]);
      const read = (id: string) => {
        const m = new RegExp(`id="${id}">([^<]*)<`).exec(page);
        if (!m) throw new Error(`darkstat page has no "${id}" figure`);
        return Number(m[1].replace(/\D/g, ""));
      };
      // "pc" is pcap's ps_recv, which on Linux includes the drops: count what darkstat
      // accounted ("tp", packets seen) instead.
      return { captured: read("tp"), dropped: read("pd") };
    },
    stop: () => stopChild(child),
  };
  await retry(() => tool.counters(), "darkstat");
  return tool;
}

/** softflowd on `host`'s interface (no export), read through its control socket. */
export async function startSoftflowd(link: TestLink, host: TestHost): Promise<RunningTool> {
  const dir = await Deno.makeTempDir({ prefix: "nwsf" });
  const ctl = `${dir}/ctl`;
  const child = link.spawn(host, [
    "softflowd",
    "-i",
    host.dev,
    "-d",
    "-c",
    ctl,
    "-p",
    `${dir}/pid`,
    "-m",
    "65536",
  ], { stdout: "null", stderr: "null" });
  const tool: RunningTool = {
    name: "softflowd",
    pid: child.pid,
    async counters() {
      const out = await new Deno.Command("softflowctl", {
        args: ["-c", ctl, "statistics"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      const read = (label: string) => {
        const m = new RegExp(`${label}: (\\d+)`).exec(text);
        if (!m) throw new Error(`softflowctl statistics has no "${label}": ${text.slice(0, 300)}`);
        return Number(m[1]);
      };
      // libpcap's received count includes what the kernel dropped (Linux PACKET_STATISTICS).
      const dropped = read("Packets dropped by libpcap") + read("Packets dropped by interface");
      return { captured: read("Packets received by libpcap") - dropped, dropped };
    },
    async stop() {
      await stopChild(child);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await retry(() => tool.counters(), "softflowd");
  return tool;
}

async function retry<T>(f: () => Promise<T>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await f();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not start: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Starts tool `name` on `host`. */
export function startTool(
  name: ToolName,
  link: TestLink,
  host: TestHost,
  port: number,
): Promise<RunningTool> {
  if (name === "netwatch") return startNetwatch(link, host, port);
  if (name === "darkstat") return startDarkstat(link, host, port);
  return startSoftflowd(link, host);
}
