// The glue between a flow engine and the exporters: end listener, shutdown flush. Kept in one
// place so it can move with the engine (into its worker) without touching the rest of export/.

import type { FlowEndListener, FlowEngine } from "../flows/flow_engine.ts";
import { exportFlow } from "./export_flow.ts";
import type { ExportArgs } from "./export_url.ts";
import { Exporters, readPassword } from "./exporters.ts";

/**
 * The engine's onFlowEnd listener: each ended record (idle, active timeout, FIN/RST, evicted)
 * is copied into the exporters' handoff ring. Runs on the packet path when a packet ends a
 * flow, so it allocates nothing and does no I/O; a timer builds the records from the ring.
 */
export function exportListener(exporters: Exporters): FlowEndListener {
  return function onFlowEnd(store, slot, reason) {
    exporters.record(store, slot, reason);
  };
}

/** Queues every active flow of `engine` as ended "forced" (IPFIX reason 4). Returns how many. */
export function flushActiveFlows(engine: FlowEngine, exporters: Exporters): number {
  exporters.drainHandoff(); // records that ended before keep their place in line
  let count = 0;
  for (const source of engine.sources.slice(0, 2)) {
    const sel = new Int32Array(source.bound);
    const n = source.slots(sel);
    for (let k = 0; k < n; k++) {
      exporters.push(exportFlow(source.store, sel[k], "forced", engine.identity));
    }
    count += n;
  }
  return count;
}

/**
 * At shutdown, after the capture stopped: exports the active flows, sends what is queued for
 * at most `timeoutMs`, and says on stderr what could not be delivered.
 */
export async function stopExport(
  engine: FlowEngine,
  exporters: Exporters,
  timeoutMs = 10_000,
): Promise<void> {
  flushActiveFlows(engine, exporters);
  const undelivered = await exporters.shutdown(timeoutMs);
  for (const u of undelivered) {
    console.error(
      `netwatch: export to ${u.destination}: ${u.records} records not delivered at exit` +
        (u.last_error ? ` (${u.last_error})` : ""),
    );
  }
  for (const s of exporters.status()) {
    if (s.dropped > 0) {
      console.error(`netwatch: export to ${s.destination}: ${s.dropped} records dropped`);
    }
  }
}

/**
 * The exporters of `serve`'s --export* options, or undefined when none were given. `device`
 * is the interface captured (undefined when replaying a file): its index goes out as IPFIX
 * ingressInterface.
 */
export function createExporters(args: ExportArgs, device?: string): Exporters | undefined {
  if (args.destinations.length === 0) return undefined;
  return Exporters.create(args.destinations, {
    biflow: args.biflow,
    retentionDays: args.retentionDays,
    passwordFile: args.passwordFile,
    ingressInterface: device === undefined ? 0 : interfaceIndex(device),
  });
}

/** The kernel's index of interface `name`, or 0 when it has none (e.g. "any"). */
function interfaceIndex(name: string): number {
  if (!/^[\w.:@-]+$/.test(name)) return 0;
  try {
    return Number(Deno.readTextFileSync(`/sys/class/net/${name}/ifindex`).trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * `args` with every ClickHouse password file read into its destination, so that a missing or
 * unreadable file is a usage error at start (Error naming the file), and the workers that
 * export need no file access of their own.
 */
export function resolvePasswordFiles(args: ExportArgs): ExportArgs {
  const destinations = args.destinations.map((config) => {
    if (config.kind !== "clickhouse") return config;
    const file = config.passwordFile ?? (config.password ? undefined : args.passwordFile);
    if (file === undefined) return config;
    return { ...config, password: readPassword(file, config), passwordFile: undefined };
  });
  return { ...args, destinations, passwordFile: undefined };
}
