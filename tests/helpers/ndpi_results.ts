// Reads the flow lines of ndpiReader's expected output (tests/data/ndpi/result/*.out).

import { flowKey } from "./payload_flows.ts";

/** One flow nDPI reported. */
export interface NdpiFlow {
  key: string;
  /** "TLS.YouTube", "DNS", ... as in `[proto: N/Label]`. */
  label: string;
  /** `[Hostname/SNI: ...]`, lower-cased; "" when nDPI named none. */
  name: string;
}

const LINE = /^\s+\d+\s+(TCP|UDP)\s+(\S+)\s+<?->\s+(\S+)\s.*?\[proto: (?:[^\]/]*\/)?([^\]]+)\]/;

/** The TCP and UDP flows of one .out file. */
export function readNdpiFlows(path: string): NdpiFlow[] {
  const out: NdpiFlow[] = [];
  for (const line of Deno.readTextFileSync(path).split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const name = /\[Hostname\/SNI: (.*?)\]\[/.exec(line)?.[1] ?? "";
    out.push({ key: flowKey(m[1], m[2], m[3]), label: m[4], name: name.toLowerCase() });
  }
  return out;
}
