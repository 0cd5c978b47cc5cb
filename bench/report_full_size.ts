// BENCHMARKS.md's live run at 1 Gbps of full-size frames, and the cells of a live step's outcome.

import { FULL_SIZE_PPS, type LiveResult, type LiveStep } from "./live.ts";
import { n, table, verdict } from "./report_format.ts";

/** 1 Gbps of full-size frames through each tool, and its line in the summary. */
export function fullSizeSection(l: LiveResult, out: string[], summary: string[][]): void {
  const steps = l.fullSize ?? [];
  const nw = steps.find((s) => s.tool === "netwatch");
  summary.push([
    "Zero drops at 1 Gbps of 1,514-byte frames",
    nw ? `${n(nw.dropped)} dropped of ${n(nw.sent)}, ${nw.cpuPercent.toFixed(1)}% CPU` : "-",
    nw ? verdict(nw.zeroDrop) : "not measured",
  ]);
  out.push("### 1 Gbps of full-size frames", "");
  if (!nw) {
    out.push("Not measured yet: `deno task bench -- --only live` (root).", "");
    return;
  }
  const columns = ["tool", "sent pps", "captured", "dropped", "CPU % of a core", "zero-drop"];
  out.push(
    `The same veth and tools, ${n(FULL_SIZE_PPS)} pps of 1,514-byte UDP frames (1 Gbps with ` +
      `preamble, FCS and gap) for ${l.stepSeconds} s each. Without a filter the kernel copies ` +
      "whole frames into the capture's ring, so Netwatch's 64 MiB ring holds about half a " +
      "second of them (tens of seconds of the ladder's 64-byte frames); this traffic led to " +
      "the read loop's change and to the correction after it (optimisation log).",
    "",
  );
  if (l.paced) {
    out.push(
      "Evenly paced by tcpreplay, as a 1 GbE link delivers them (a tool that has already " +
        "captured the typical load):",
      "",
    );
  }
  out.push(table(columns, steps.map((s) => [s.tool, ...stepOutcome(s)])), "");
  const bursts = l.fullSizeBursts ?? [];
  if (bursts.length) {
    out.push(
      "The same packets as trafgen sends them at that rate: each second's 81 thousand in one " +
        "burst of about 80 ms (12 Gbps, more than a 1 GbE link can carry; a cold-started " +
        "Netwatch drops some of the first burst while V8 compiles its packet path: see the " +
        "optimisation log):",
      "",
      table(columns, bursts.map((s) => [s.tool, ...stepOutcome(s)])),
      "",
    );
  }
  out.push(`Target: no drop. ${verdict(nw.zeroDrop)}.`, "");
}

/** A live step's outcome cells: sent pps, captured, dropped, CPU %, zero-drop. */
export function stepOutcome(s: LiveStep): string[] {
  return [
    n(s.sentPps),
    n(s.captured),
    n(s.dropped),
    s.cpuPercent.toFixed(1),
    s.zeroDrop ? "yes" : "no",
  ];
}
