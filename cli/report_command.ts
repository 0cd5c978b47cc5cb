// `netwatch report FILE`: reads a capture file and prints what it held.

import { readCaptureFile } from "../capture/read_file.ts";
import { PacketCounters } from "../flows/packet_counters.ts";
import type { ReportArgs } from "./args.ts";
import { countersReport, type Report, reportJson, reportText } from "./report.ts";

/** Runs the report command. Returns the exit code: 1 when the file could not be read to its end. */
export function reportCommand(args: ReportArgs): number {
  const counters = new PacketCounters();
  const result = readCaptureFile(args.file, (batch) => counters.add(batch), args.filter);
  const report: Report = {
    file: args.file,
    ...(args.filter ? { filter: args.filter } : {}),
    linktype: result.linkType.name,
    dlt: result.linkType.dlt,
    ...countersReport(counters),
    ...(result.error ? { error: result.error.message } : {}),
  };
  console.log(args.format === "json" ? reportJson(report) : reportText(report));
  if (result.error) {
    console.error(`netwatch: ${result.error.message}`);
    return 1;
  }
  return 0;
}
