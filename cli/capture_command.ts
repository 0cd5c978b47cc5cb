// `netwatch capture`: live capture with a line a second, and a report when it stops.

import { CaptureError } from "../capture/capture_error.ts";
import { CaptureSession } from "../capture/capture_session.ts";
import { defaultInterface } from "../capture/interfaces.ts";
import { PacketCounters } from "../flows/packet_counters.ts";
import type { CaptureArgs } from "./args.ts";
import {
  countersReport,
  printReport,
  type Report,
  reportJson,
  reportText,
  withCaptureStats,
} from "./report.ts";

/** Runs a live capture until Ctrl-C, SIGTERM, --duration or --count. Returns the exit code. */
export async function captureCommand(args: CaptureArgs): Promise<number> {
  const device = args.interface ?? defaultInterface();
  const counters = new PacketCounters();
  let remaining = args.count ?? Infinity;
  let requestStop = () => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));

  const session = await CaptureSession.start({
    kind: "interface",
    device,
    filter: args.filter,
    snaplen: args.snaplen,
    bufferBytes: args.bufferBytes,
    promiscuous: args.promiscuous,
    immediate: args.immediate,
  }, (batch) => {
    if (remaining <= 0) return;
    if (batch.count > remaining) batch.count = remaining;
    remaining -= batch.count;
    counters.add(batch);
    if (remaining <= 0) requestStop();
  });
  const { info } = session;
  console.error(
    `netwatch: capturing on "${device}" (${info.linkType}, snaplen ${info.snaplen}` +
      `${args.filter ? `, filter "${args.filter}"` : ""}); Ctrl-C to stop`,
  );

  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, requestStop);
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (args.durationSec !== undefined) timers.push(setTimeout(requestStop, args.durationSec * 1000));
  if (!args.quiet) timers.push(startTicker(counters, session));

  let error: CaptureError | undefined;
  try {
    await Promise.race([stopRequested, session.done]);
    await session.stop();
  } catch (failure) {
    if (!(failure instanceof CaptureError)) throw failure;
    error = failure;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, requestStop);
    for (const timer of timers) clearTimeout(timer);
  }
  const report: Report = withCaptureStats({
    interface: device,
    ...(args.filter ? { filter: args.filter } : {}),
    linktype: info.linkType,
    dlt: info.dlt,
    ...countersReport(counters),
    ...(error ? { error: error.message } : {}),
  }, session.stats);
  printReport(args.format === "json" ? reportJson(report) : reportText(report));
  if (error) {
    console.error(`netwatch: ${error.message}`);
    return 1;
  }
  return 0;
}

/** Prints packets/s, bits/s, the IP mix and drops to stderr once a second. */
function startTicker(
  counters: PacketCounters,
  session: CaptureSession,
): ReturnType<typeof setInterval> {
  let last = { packets: 0, bytes: 0, at: performance.now() };
  return setInterval(() => {
    const now = performance.now();
    const seconds = (now - last.at) / 1000;
    const pps = (counters.packets - last.packets) / seconds;
    const bps = (counters.bytes - last.bytes) * 8 / seconds;
    last = { packets: counters.packets, bytes: counters.bytes, at: now };
    const dropped = session.stats
      ? session.stats.droppedByKernel + session.stats.droppedByInterface
      : 0;
    const time = new Date().toTimeString().slice(0, 8);
    console.error(
      `${time}  ${Math.round(pps).toLocaleString("en-US").padStart(9)} pkt/s  ` +
        `${formatBits(bps).padStart(12)}  total ${counters.packets.toLocaleString("en-US")} pkt  ` +
        `dropped ${dropped.toLocaleString("en-US")}`,
    );
  }, 1000);
}

/** Bits per second with an SI prefix: "12.3 Mbit/s". */
export function formatBits(bps: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
  let value = bps;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
