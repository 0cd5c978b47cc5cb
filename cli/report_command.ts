// `netwatch report FILE`: reads a capture file and prints what it held.

import { readCaptureFile } from "../capture/read_file.ts";
import { FlowEngine } from "../flows/flow_engine.ts";
import { Identity } from "../flows/identity/identity.ts";
import { type FlowRecord, flowRecord } from "../flows/flow_record.ts";
import { PacketCounters } from "../flows/packet_counters.ts";
import { TupleSet } from "../flows/tuple_set.ts";
import type { ReportArgs } from "./args.ts";
import { countersReport, printReport, type Report, reportJson, reportText } from "./report.ts";

/** Runs the report command. Returns the exit code: 1 when the file could not be read to its end. */
export function reportCommand(args: ReportArgs): number {
  const counters = new PacketCounters();
  const tuples = new TupleSet();
  const ended: FlowRecord[] = [];
  // Every ended record is collected as it ends, so the history ring is not needed here.
  const identity = new Identity();
  const engine = args.flows
    ? new FlowEngine({
      maxHistoryRecords: 0,
      identity,
      onFlowEnd: (store, slot) => ended.push(flowRecord(store, slot, false, 0, identity)),
    })
    : undefined;
  let tickedSecond = -1;
  const result = readCaptureFile(args.file, (batch) => {
    counters.add(batch);
    tuples.add(batch);
    if (engine) {
      engine.add(batch);
      // Timeouts in file time, swept once per second of it, as a live capture is.
      if (Math.floor(engine.now) !== tickedSecond) {
        tickedSecond = Math.floor(engine.now);
        engine.tick(engine.now);
      }
    }
  }, args.filter);
  let flows: FlowRecord[] | undefined;
  if (engine) {
    flows = ended.concat(engine.activeRecords());
    flows.sort((a, b) => a.first_ts - b.first_ts || a.id - b.id);
  }
  const report: Report = {
    file: args.file,
    ...(args.filter ? { filter: args.filter } : {}),
    linktype: result.linkType.name,
    dlt: result.linkType.dlt,
    ...countersReport(counters),
    tcp_udp_5tuples: tuples.size,
    ...(flows ? { flows } : {}),
    ...(result.error ? { error: result.error.message } : {}),
  };
  printReport(args.format === "json" ? reportJson(report) : reportText(report));
  if (result.error) {
    console.error(`netwatch: ${result.error.message}`);
    return 1;
  }
  return 0;
}
