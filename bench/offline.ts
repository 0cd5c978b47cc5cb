// Offline throughput: Netwatch beside softflowd and tcpdump on the same generated capture.
//
// Every figure is the median of several runs made in the same process, one tool after another,
// so that a noisy shared machine affects all of them alike. Ratios matter more than the numbers.

import { decodeRecords, type RecordCursor } from "../capture/records.ts";
import { LinkDecoder } from "../capture/link_types.ts";
import { PacketBatch } from "../capture/packet_batch.ts";
import { readCaptureFile } from "../capture/read_file.ts";
import { FlowEngine } from "../flows/flow_engine.ts";
import { Identity } from "../flows/identity/identity.ts";
import { PacketCounters } from "../flows/packet_counters.ts";
import { cliCommand } from "../tests/helpers/cli.ts";
import { generateCapture, type GeneratedCapture } from "./generate_capture.ts";
import { median } from "./stats.ts";

export interface Measurement {
  name: string;
  /** Median wall-clock seconds over the runs. */
  seconds: number;
  packetsPerSecond: number;
  note?: string;
}

export interface OfflineResult {
  /** What was read: a generated capture, or a real one (flows: as the engine counted them). */
  capture: GeneratedCapture;
  /** "generated" or "real". */
  kind?: string;
  fileBytes: number;
  runs: number;
  measurements: Measurement[];
}

export async function hasCommand(name: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).output()).success;
}

async function timeCommand(program: string, args: string[]): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return seconds;
}

/**
 * softflowd 1.1.0 in -r mode tests poll() results it never polled for, so, depending on stack
 * garbage, it calls accept() on its control socket once per loop and blocks there. A feeder keeps
 * that socket's backlog non-empty with connect-and-close clients, so each accept() returns at
 * once and reads EOF. The feeder runs on the other core; how many clients it made is reported.
 */
export async function timeSoftflowd(path: string, maxFlows: number) {
  const dir = Deno.makeTempDirSync({ prefix: "nwsf" });
  const ctl = `${dir}/ctl`;
  const started = performance.now();
  const child = new Deno.Command("softflowd", {
    args: ["-r", path, "-d", "-6", "-m", String(maxFlows), "-p", `${dir}/pid`, "-c", ctl],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let fed = 0;
  let running = true;
  const feeder = (async () => {
    while (running) {
      for (let k = 0; k < 8 && running; k++) {
        const client = await Deno.connect({ transport: "unix", path: ctl }).catch(() => undefined);
        if (!client) break; // not listening yet, or the backlog is full
        client.close();
        fed++;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  const status = await child.status;
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await feeder;
  Deno.removeSync(dir, { recursive: true });
  if (!status.success) throw new Error(`softflowd failed with ${status.code}`);
  return { seconds, fed };
}

/** Decoding alone: the file's records, already in memory, walked into batches. */
function decodeOnly(bytes: Uint8Array<ArrayBuffer>): number {
  const view = new DataView(bytes.buffer);
  const batch = new PacketBatch(4096);
  const cursor: RecordCursor = { offset: 24, overrun: false };
  const format = { decoder: LinkDecoder.Ethernet, littleEndian: true, nsecPerUnit: 1000 };
  const started = performance.now();
  let packets = 0;
  while (cursor.offset < bytes.length) {
    batch.count = 0;
    decodeRecords(bytes, view, bytes.length, format, batch, cursor);
    packets += batch.count;
    if (batch.count === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  if (packets === 0) throw new Error("decoded nothing");
  return seconds;
}

/** Reading the file (Netwatch's pcap reader, libpcap for other files), decoding and counting. */
function readAndCount(path: string, expected: number): number {
  const counters = new PacketCounters();
  const started = performance.now();
  readCaptureFile(path, (batch) => counters.add(batch));
  const seconds = (performance.now() - started) / 1000;
  if (counters.packets !== expected) {
    throw new Error(`counted ${counters.packets} packets, expected ${expected}`);
  }
  return seconds;
}

/**
 * File read + decode + count + the full flow engine, in this process, configured as
 * `report --flows` configures it (no history ring; every ended record counted as it ends).
 * `repeat` reads the file that many times, for files too small to time once. The engine is
 * built before the clock starts (its 1M-slot tables cost milliseconds to set up, which would
 * swamp a small file); that set-up is timed apart and returned as `buildMs`.
 */
export function readAndEngine(
  path: string,
  expected: number,
  repeat = 1,
): { seconds: number; flows: number; buildMs: number } {
  let seconds = 0;
  let buildMs = 0;
  let flows = 0;
  for (let r = 0; r < repeat; r++) {
    const counters = new PacketCounters();
    let ended = 0;
    const built = performance.now();
    // As report --flows builds it: names and apps included.
    const engine = new FlowEngine({
      maxHistoryRecords: 0,
      identity: new Identity(),
      onFlowEnd: () => {
        ended++;
      },
    });
    const started = performance.now();
    buildMs += started - built;
    let tickedSecond = -1;
    readCaptureFile(path, (batch) => {
      counters.add(batch);
      engine.add(batch);
      // Timeouts in file time, swept once per second of it, as report does (and serve, once a
      // second): a sweep visits every flow, so sweeping per batch took more than half the time
      // of the 500k-flow mix.
      if (Math.floor(engine.now) !== tickedSecond) {
        tickedSecond = Math.floor(engine.now);
        engine.tick(engine.now);
      }
    });
    seconds += (performance.now() - started) / 1000;
    if (counters.packets !== expected) {
      throw new Error(`counted ${counters.packets} packets, expected ${expected}`);
    }
    flows = engine.flowsStarted;
  }
  return { seconds: seconds / repeat, flows, buildMs: buildMs / repeat };
}

/** Generates the capture (if not cached) and measures every tool on it. */
export async function benchOffline(options: {
  packets: number;
  flows: number;
  runs?: number;
  dir: string;
}): Promise<OfflineResult> {
  const runs = options.runs ?? 5;
  const path = `${options.dir}/offline-${options.packets}-${options.flows}.pcap`;
  Deno.mkdirSync(options.dir, { recursive: true });
  const capture = generateCapture(path, { packets: options.packets, flows: options.flows });
  const bytes = Deno.readFileSync(path); // also warms the page cache for the external tools
  const measurements: Measurement[] = [];
  const add = (name: string, times: number[], note?: string) => {
    const seconds = median(times);
    measurements.push({ name, seconds, packetsPerSecond: capture.packets / seconds, note });
  };

  const decode: number[] = [];
  for (let r = 0; r < runs + 1; r++) decode.push(decodeOnly(bytes));
  add("netwatch decode only (records in memory)", decode.slice(1), "first run is JIT warm-up");

  const read: number[] = [];
  for (let r = 0; r < runs + 1; r++) read.push(readAndCount(path, capture.packets));
  add("netwatch read + decode + count", read.slice(1), "in process");

  measurements.push(...await measureFlowTools(path, capture.packets, options.flows, runs));
  return { capture, kind: "generated", fileBytes: bytes.length, runs, measurements };
}

/** A real capture: Netwatch with the flow engine beside softflowd and tcpdump. */
export async function benchOfflineFile(path: string, runs = 5): Promise<OfflineResult> {
  const probe = new PacketCounters();
  readCaptureFile(path, (batch) => probe.add(batch));
  const packets = probe.packets;
  const measurements = await measureFlowTools(path, packets, 65536, runs);
  const flows = readAndEngine(path, packets).flows;
  return {
    capture: { path, packets, bytes: probe.bytes, flows },
    kind: "real",
    fileBytes: Deno.statSync(path).size,
    runs,
    measurements,
  };
}

/**
 * Netwatch's decode + flow engine (in process, and `report --flows` as a whole process),
 * softflowd -r and tcpdump -r on `path`, median of `runs` each.
 */
async function measureFlowTools(
  path: string,
  packets: number,
  flows: number,
  runs: number,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  const add = (name: string, times: number[], note?: string) => {
    const seconds = median(times);
    measurements.push({ name, seconds, packetsPerSecond: packets / seconds, note });
  };
  // Small files are read several times per timing, so that one timing lasts about 0.2 s.
  const once = readAndEngine(path, packets).seconds;
  const repeat = Math.max(1, Math.ceil(0.2 / once));
  // Netwatch and softflowd alternate, run by run, so that the machine's drift (its speed
  // moves by a third within minutes) falls on both sides of the ratio alike.
  const soft = await hasCommand("softflowd");
  if (!soft) console.error("bench: softflowd is missing (apt-get install softflowd); not compared");
  const engine: number[] = [];
  const build: number[] = [];
  const softflowd: number[] = [];
  let fed = 0;
  for (let r = 0; r < runs; r++) {
    const run = readAndEngine(path, packets, repeat);
    engine.push(run.seconds);
    build.push(run.buildMs);
    if (soft) {
      const sf = await timeSoftflowd(path, Math.max(8192, flows * 2));
      softflowd.push(sf.seconds);
      fed += sf.fed;
    }
  }
  add(
    "netwatch read + decode + flow engine",
    engine,
    `in process, as report --flows${repeat > 1 ? `; file read ${repeat}x per timing` : ""}; ` +
      `engine set-up (${median(build).toFixed(1)} ms) not timed; alternated with softflowd`,
  );

  const [program, ...lead] = cliCommand();
  const cli: number[] = [];
  for (let r = 0; r < runs; r++) {
    cli.push(
      await timeCommand(program, [...lead, "report", path, "--flows", "--format", "json"]),
    );
  }
  add(
    "netwatch report --flows (whole process)",
    cli,
    "Deno start-up, JIT warm-up, JSON of every flow",
  );
  if (soft) {
    add("softflowd -r", softflowd, `flow tracking, no export; ${fed} control-socket clients fed`);
  }
  if (await hasCommand("tcpdump")) {
    const dump: number[] = [];
    for (let r = 0; r < runs; r++) {
      dump.push(await timeCommand("tcpdump", ["-n", "-r", path, "-w", "/dev/null"]));
    }
    add("tcpdump -r -w /dev/null", dump, "read and write, no decoding");
  } else {
    console.error("bench: tcpdump is missing (apt-get install tcpdump); not compared");
  }
  return measurements;
}

/** The result as a plain-text table with ratios against softflowd. */
export function offlineTable(result: OfflineResult): string {
  const soft = result.measurements.find((m) => m.name.startsWith("softflowd"));
  const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
  const lines = [
    `Offline throughput: ${result.kind === "real" ? `${result.capture.path}, ` : ""}${
      fmt(result.capture.packets)
    } packets, ${fmt(result.capture.flows)} flows, ` +
    `${(result.fileBytes / 1048576).toFixed(0)} MiB file, median of ${result.runs} runs`,
    `${"tool".padEnd(44)}${"seconds".padStart(9)}${"packets/s".padStart(14)}${
      "x softflowd".padStart(13)
    }`,
  ];
  for (const m of result.measurements) {
    const ratio = soft ? (m.packetsPerSecond / soft.packetsPerSecond).toFixed(2) : "-";
    lines.push(
      `${m.name.padEnd(44)}${m.seconds.toFixed(3).padStart(9)}${
        fmt(m.packetsPerSecond).padStart(14)
      }` +
        `${ratio.padStart(13)}${m.note ? `  (${m.note})` : ""}`,
    );
  }
  return lines.join("\n");
}
