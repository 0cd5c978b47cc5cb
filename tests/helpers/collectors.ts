// Real flow collectors for the export tests: nfdump's nfcapd and pmacct's nfacctd, each started
// on a free loopback UDP port with its own directory, stopped cleanly, and read back.

import dgram from "node:dgram";
import { runProcess } from "./process.ts";
import { candidatePort } from "./serve.ts";

/**
 * A UDP port nothing is bound to right now (on 127.0.0.1), below the ephemeral range: an
 * exporter's own socket (bound to port 0) cannot take it before the collector binds it.
 */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = candidatePort();
    const socket = dgram.createSocket("udp4");
    const bound = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      return port;
    }
    try {
      socket.close();
    } catch {
      // a socket that failed to bind may already be closed
    }
  }
  throw new Error("no free UDP port found in 1,000 tries");
}

/** True when some socket is bound to UDP `port` (read from /proc/net/udp). */
function udpBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  return Deno.readTextFileSync("/proc/net/udp").split("\n").some((line) => {
    const local = line.trim().split(/\s+/)[1] ?? "";
    return `${local} `.endsWith(hex);
  });
}

/** A collector process started by a test. */
export interface Collector {
  port: number;
  dir: string;
  /** Stops it with `signal` and waits for it to exit (it writes its files on the way out). */
  stop(): Promise<void>;
}

/** Spawns `program`, waits until it listens on UDP `port`; fails loudly when it cannot. */
async function spawnCollector(
  program: string,
  args: string[],
  port: number,
  dir: string,
  signal: Deno.Signal,
  packageName: string,
): Promise<Collector> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
  } catch (error) {
    throw new Error(
      `${program} is needed for this test (apt-get install ${packageName}): ${error}`,
    );
  }
  const output = child.output();
  const deadline = Date.now() + 10_000;
  while (!udpBound(port)) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      const out = await output;
      throw new Error(
        `${program} did not listen on UDP ${port}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  let stopped: Promise<void> | undefined;
  return {
    port,
    dir,
    stop() {
      stopped ??= (async () => {
        try {
          child.kill(signal);
        } catch {
          // exited already
        }
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await output;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

/** nfcapd writing to a fresh directory; SIGTERM makes it flush and close its file. */
export async function startNfcapd(): Promise<Collector> {
  const dir = await Deno.makeTempDir({ prefix: "nfcapd-" });
  const port = await freeUdpPort();
  return spawnCollector(
    "nfcapd",
    ["-p", String(port), "-b", "127.0.0.1", "-w", dir],
    port,
    dir,
    "SIGTERM",
    "nfdump",
  );
}

/** Rows of every file nfcapd wrote in `dir`, as `nfdump -o csv` prints them, keyed by header. */
export async function readNfdump(dir: string): Promise<Record<string, string>[]> {
  const files = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("nfcapd."));
  if (files.some((e) => e.name.includes("current"))) {
    throw new Error(`nfcapd left an unfinished file in ${dir}: it was not stopped cleanly`);
  }
  const rows: Record<string, string>[] = [];
  for (const file of files) {
    const result = await runProcess("nfdump", ["-r", `${dir}/${file.name}`, "-o", "csv"], {
      timeoutMs: 60_000,
    });
    if (result.code !== 0) throw new Error(`nfdump failed: ${result.stderr}`);
    const lines = result.stdout.split("\n");
    const header = lines[0].split(",");
    for (const line of lines.slice(1)) {
      if (line === "" || line === "Summary") break;
      const fields = line.split(",");
      rows.push(Object.fromEntries(header.map((key, i) => [key, fields[i]?.trim() ?? ""])));
    }
  }
  return rows;
}

/** The "Sequence failures" nfdump counted over the files in `dir` (IPFIX sequence gaps). */
export async function nfdumpSequenceFailures(dir: string): Promise<number> {
  let failures = 0;
  for (const file of Deno.readDirSync(dir)) {
    if (!file.name.startsWith("nfcapd.")) continue;
    const result = await runProcess("nfdump", ["-r", `${dir}/${file.name}`, "-I"], {
      timeoutMs: 60_000,
    });
    const match = /^Sequence failures: (\d+)$/m.exec(result.stdout);
    if (!match) throw new Error(`nfdump -I printed no sequence failures: ${result.stdout}`);
    failures += Number(match[1]);
  }
  return failures;
}

/**
 * nfacctd with a print plugin that sums packets and bytes per (addresses, ports, protocol,
 * VLAN) and appends CSV to `dir`/flows.csv every second; SIGINT makes it write the rest.
 * `primitives`, when given, is an aggregate_primitives file's text, whose names are added to
 * the aggregation.
 */
export async function startNfacctd(primitives?: { text: string; names: string[] }): Promise<
  Collector
> {
  const dir = await Deno.makeTempDir({ prefix: "nfacctd-" });
  const port = await freeUdpPort();
  const extra = primitives ? `, ${primitives.names.join(", ")}` : "";
  const lines = [
    "daemonize: false",
    "nfacctd_ip: 127.0.0.1",
    `nfacctd_port: ${port}`,
    "plugins: print[p]",
    `aggregate[p]: src_host, dst_host, src_port, dst_port, proto, vlan${extra}`,
    "print_output[p]: csv",
    "print_num_protos[p]: true",
    `print_output_file[p]: ${dir}/flows.csv`,
    "print_output_file_append[p]: true",
    "print_refresh_time[p]: 1",
    `logfile: ${dir}/nfacctd.log`,
  ];
  if (primitives) {
    await Deno.writeTextFile(`${dir}/primitives.lst`, primitives.text);
    lines.push(`aggregate_primitives: ${dir}/primitives.lst`);
  }
  await Deno.writeTextFile(`${dir}/nfacctd.conf`, lines.join("\n") + "\n");
  return spawnCollector("nfacctd", ["-f", `${dir}/nfacctd.conf`], port, dir, "SIGINT", "pmacct");
}

/** Rows nfacctd's print plugin wrote (header lines repeat per dump; they are skipped). */
export function readNfacctd(dir: string): Record<string, string>[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/flows.csv`);
  } catch (error) {
    throw new Error(`nfacctd wrote no ${dir}/flows.csv: ${error}`);
  }
  const rows: Record<string, string>[] = [];
  let header: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (/^[A-Za-z_]+(,[A-Za-z_]+)+$/.test(line)) {
      header = line.split(",");
      continue;
    }
    const fields = line.split(",");
    rows.push(Object.fromEntries(header.map((key, i) => [key, fields[i] ?? ""])));
  }
  return rows;
}
