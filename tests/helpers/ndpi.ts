// Reads ndpiReader's `.out` files (nDPI's expected test output) into one record per flow line,
// for tests that hold Netwatch against nDPI: counts now, server names and applications next.

import { ndpiPath } from "./corpus.ts";

/** One end of an nDPI flow, as ndpiReader prints it (IPv6 without its brackets). */
export interface NdpiEndpoint {
  ip: string;
  port: number;
}

/** A protocol as nDPI names it in `[proto: ...]`: its number and name. */
export interface NdpiProtocol {
  id: number;
  name: string;
}

/** One flow line of an `.out` file. */
export interface NdpiFlow {
  /** The number ndpiReader gives the line (it restarts at 1 in "Undetected flows"). */
  index: number;
  /** The line sits under "Undetected flows:" (nDPI found no application). */
  undetected: boolean;
  /** L4 protocol as printed: "TCP", "UDP", "ICMP", "ICMPV6", "IGMP", ... */
  l4: string;
  /** The flow's first end: the sender of its first packet. */
  src: NdpiEndpoint;
  dst: NdpiEndpoint;
  /** `<->`: packets were seen both ways; `->`: only from src. */
  bidirectional: boolean;
  /** The tunnel nDPI decapsulated the flow from ("GTP", "CAPWAP", ...), from `[proto: T:...]`. */
  tunnel?: string;
  /** `[proto: N.M/Master.App]`: the master protocol (N, Master), absent for `[proto: N/Name]`. */
  master?: NdpiProtocol;
  /** The application (M, App), or the one protocol of `[proto: N/Name]`. */
  app: NdpiProtocol;
  /** Packets and bytes (frame wire length) from src to dst and back. */
  packetsSrcToDst: number;
  bytesSrcToDst: number;
  packetsDstToSrc: number;
  bytesDstToSrc: number;
  /** `[Hostname/SNI: ...]`: TLS or QUIC SNI, HTTP Host, DNS query name, ...; absent if none. */
  hostname?: string;
  /** `[VLAN: N]` when the flow was tagged. */
  vlan?: number;
  /** Every `[Key: value]` group of the line by key (the first when a key repeats). */
  fields: Map<string, string>;
  /** Groups without a key, e.g. "Encrypted", "ClearText", "TLSv1.2". */
  tags: string[];
}

// "\t12\tTCP 1.2.3.4:5 <-> [2001:db8::1]:443 [proto: ...]..."; IPv6 ends are bracketed.
const HEAD =
  /^\t(\d+)\t(\S+) (\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+) (<->|->) (\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+) (\[.*)$/;
const PROTO = /^(?:([A-Za-z][\w-]*):)?(\d+)(?:\.(\d+))?\/(.+)$/;
const COUNTS = /^(\d+) pkts\/(\d+) bytes (?:<->|->) (\d+) pkts\/(\d+) bytes$/;

/** The top-level `[...]` groups of `text`, brackets removed; nested brackets stay inside. */
function groups(text: string): string[] {
  const found: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "[") {
      if (depth++ === 0) start = i + 1;
    } else if (text[i] === "]" && depth > 0 && --depth === 0) {
      found.push(text.slice(start, i));
    }
  }
  return found;
}

const endpoint = (ip: string, port: string): NdpiEndpoint => ({
  ip: ip.startsWith("[") ? ip.slice(1, -1) : ip,
  port: Number(port),
});

/**
 * Parses one flow line; undefined for any other line (summaries, tables). Throws on a line
 * that starts like a flow but lacks what every flow line has, so a format change is loud.
 */
export function parseNdpiFlowLine(line: string, undetected = false): NdpiFlow | undefined {
  const head = HEAD.exec(line);
  if (!head) return undefined;
  const fields = new Map<string, string>();
  const tags: string[] = [];
  let counts: RegExpExecArray | null = null;
  for (const group of groups(head[8])) {
    const colon = group.indexOf(": ");
    const packets = COUNTS.exec(group);
    if (packets) counts ??= packets;
    else if (colon > 0) {
      const key = group.slice(0, colon);
      if (!fields.has(key)) fields.set(key, group.slice(colon + 2));
    } else tags.push(group);
  }
  const proto = PROTO.exec(fields.get("proto") ?? "");
  if (!proto || !counts) throw new SyntaxError(`Not an ndpiReader flow line: ${line}`);
  const names = proto[4];
  const dot = proto[3] === undefined ? -1 : names.indexOf(".");
  const vlan = fields.get("VLAN");
  return {
    index: Number(head[1]),
    undetected,
    l4: head[2],
    src: endpoint(head[3], head[4]),
    dst: endpoint(head[6], head[7]),
    bidirectional: head[5] === "<->",
    tunnel: proto[1],
    master: dot < 0 ? undefined : { id: Number(proto[2]), name: names.slice(0, dot) },
    app: dot < 0
      ? { id: Number(proto[2]), name: names }
      : { id: Number(proto[3]), name: names.slice(dot + 1) },
    packetsSrcToDst: Number(counts[1]),
    bytesSrcToDst: Number(counts[2]),
    packetsDstToSrc: Number(counts[3]),
    bytesDstToSrc: Number(counts[4]),
    hostname: fields.get("Hostname/SNI") || undefined,
    vlan: vlan === undefined ? undefined : Number(vlan),
    fields,
    tags,
  };
}

/** Every flow of an ndpiReader output, detected ones first, in file order. */
export function parseNdpiOutput(text: string): NdpiFlow[] {
  const flows: NdpiFlow[] = [];
  let undetected = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("Undetected flows:")) undetected = true;
    const flow = parseNdpiFlowLine(line, undetected);
    if (flow) flows.push(flow);
  }
  return flows;
}

/**
 * Flows ndpiReader reports in its summary ("Confidence ... : N (flows)" lines), to check that
 * parseNdpiOutput() found every flow line.
 */
export function ndpiFlowCount(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/^Confidence [^:\n]*: (\d+) \(flows\)$/gm)) {
    total += Number(match[1]);
  }
  return total;
}

/** The flows of nDPI's expected output for `capture` (a file name in tests/data/ndpi/pcap). */
export function readNdpiResult(capture: string): NdpiFlow[] {
  return parseNdpiOutput(Deno.readTextFileSync(ndpiPath(`result/${capture}.out`)));
}
